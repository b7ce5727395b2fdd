// The Registry reconciler: the runbook for one Harbor tenant, run whenever anything it depends
// on changes, and again every so often because the shared services send no events.
//
//   1. shared services   the PostgresServer and ObjectStore, with their admin logins
//   2. tenant data       database + role, bucket + storage user (created or checked), probed
//                        with the tenant's own credentials
//   3. generated secrets read back, or generated and stored once
//   4. upgrade plan      which release runs: a new release first migrates the schema in a Job
//   5. render + apply    every object, in dependency order, by server-side apply (skipped when
//                        the cached object already matches, so a resync writes nothing)
//   6. observe + report  Deployments' rollouts, the cache probe, conditions, status
//
// Level-based and idempotent: every step reads the world and acts on what is missing, so a
// reconcile killed at any line and run again converges on the same result. What must never be
// produced twice (a password, the encryption key, an access key) is stored before it is used,
// with create-if-absent writes (see secret-writes.ts).
import {
  apiVersionOf,
  Deployment,
  Job,
  isNotFound,
  setConditions,
  terminal,
  type ConditionInput,
  type KubeObject,
  type ReconcileContext,
  type Result,
} from '@tugboat/runtime';
import { ObjectStore } from '../api/object-store.js';
import { PostgresServer } from '../api/postgres-server.js';
import { Registry, type RegistrySpec, type RegistryStatus } from '../api/registry.js';
import { externalURL } from '../render/endpoints.js';
import type { RenderInput } from '../render/input.js';
import { boundedName, migrationJobName, registryNames } from '../render/names.js';
import { renderHarbor } from '../render/render.js';
import { retainWithDataAnnotation } from '../render/secret-manifests.js';
import type { HarborSecrets } from '../render/secrets.js';
import { ensureHarborSecrets } from './harbor-secrets.js';
import { componentsProbe, registryConditions, rolloutState, type ComponentObservation, type ProbeResult } from './registry-conditions.js';
import type { SecretSource } from './secret-reader.js';
import { objectStoreAdmin, postgresAdmin } from './shared-services.js';
import { bucketOf, reconcileTenantBucket, type TenantBucketOutcome } from './tenant-bucket.js';
import { externalCacheConflict, externalCachePassword, probeTenantCache } from './tenant-cache.js';
import { reconcileTenantDatabase, type TenantDatabaseOutcome } from './tenant-database.js';
import { migrationJobState, planUpgrade, type UpgradePlan } from './upgrade-plan.js';
import { userSecretsDigest } from './user-secrets.js';

export interface RegistryReconcilerOptions {
  /** The operator reaches Services by cluster DNS names (it runs in the cluster): decides how a Dedicated cache is probed. */
  inCluster: boolean;
  /** How soon a Ready Registry's database, cache and bucket are probed again. Default 60 s. */
  probeIntervalMs?: number;
  /** How soon a Registry that is not Ready is looked at again. Default 10 s. */
  retryIntervalMs?: number;
  /** The operator's own Secrets as cached (label-selected informer); misses are confirmed live. */
  cachedSecret: SecretSource['cached'];
  /** Generates Harbor's internal secrets; tests pass a faster one (smaller token key). */
  generateSecrets?: () => Promise<HarborSecrets>;
  /** Every Registry whose External cache is this endpoint (from the Registry cache's index). */
  externalCacheUsers?: (host: string, port: number) => readonly Registry[];
}

function withTypeMeta(r: Registry): Registry {
  return { ...r, apiVersion: apiVersionOf(Registry), kind: 'Registry' };
}

function fail(reason: string, message: string): ProbeResult {
  return { status: 'False', reason, message };
}

function isRetained(o: KubeObject): boolean {
  return o.kind === 'Secret' && o.metadata.annotations?.[retainWithDataAnnotation] === 'true';
}

/** What a status write needs beyond the conditions. */
interface Outcome {
  plan: UpgradePlan | undefined;
  database: TenantDatabaseOutcome | undefined;
  storage: TenantBucketOutcome | undefined;
  databaseProbe: ProbeResult;
  storageProbe: ProbeResult;
  cacheProbe: ProbeResult;
  components: ComponentObservation[];
  rendered: boolean;
  /** Objects that could not be applied for a reason the user can fix (reported, not retried). */
  applyProblems: string[];
  /** An apply failed: reported in the status, then the reconcile fails so it is retried. */
  applyError: string | undefined;
}

export function createRegistryReconciler(opts: RegistryReconcilerOptions) {
  // Which (Registry generation, server generation, store generation) the tenant's data was last
  // fully ensured for. A resync of an unchanged spec only probes; a change, a failed probe or a
  // restart of the operator runs the provisioners again.
  const ensured = new Map<string, string>();

  async function reconcile(reg: Registry, ctx: ReconcileContext): Promise<Result> {
    const { name, namespace = '' } = { name: reg.metadata.name ?? '', namespace: reg.metadata.namespace };
    const generation = reg.metadata.generation;
    const parsed = Registry.validate(reg);
    if (!parsed.ok) {
      const message = `the spec does not validate: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}. Correct it with kubectl edit registry ${name}`;
      await writeStatus(reg, ctx, [
        { type: 'Ready', status: 'False', reason: 'InvalidSpec', message },
        { type: 'Degraded', status: 'True', reason: 'InvalidSpec', message },
      ]);
      throw terminal(new Error(message));
    }
    const spec: RegistrySpec = parsed.value.spec;
    const src: SecretSource = { cached: opts.cachedSecret, client: ctx.client };
    const names = registryNames(name);
    const uid = reg.metadata.uid ?? '';

    // 1. Shared services.
    const server = await ctx.get(PostgresServer, { name: spec.database.serverRef.name });
    const store = await ctx.get(ObjectStore, { name: spec.storage.objectStoreRef.name });
    const pgAdmin = await postgresAdmin(src, spec.database.serverRef.name, server);
    const s3Admin = await objectStoreAdmin(src, spec.storage.objectStoreRef.name, store);
    const ensureKey = `${generation ?? 0}/${server?.metadata.generation ?? 0}/${store?.metadata.generation ?? 0}`;
    const ensure = ensured.get(uid) !== ensureKey;

    // 2. Tenant data, probed as the tenant.
    const o: Outcome = {
      plan: undefined,
      database: undefined,
      storage: undefined,
      databaseProbe: pgAdmin.ok ? fail('Pending', 'not checked yet') : fail(pgAdmin.reason, pgAdmin.message),
      storageProbe: s3Admin.ok ? fail('Pending', 'not checked yet') : fail(s3Admin.reason, s3Admin.message),
      cacheProbe: fail('Pending', 'not checked yet'),
      components: [],
      rendered: false,
      applyProblems: [],
      applyError: undefined,
    };
    const [db, bucket] = await Promise.all([
      server && pgAdmin.ok ? reconcileTenantDatabase(src, { name, namespace }, server, pgAdmin.value, { fieldManager: ctx.fieldManager, ensure }) : undefined,
      store && s3Admin.ok ? reconcileTenantBucket(src, { name, namespace, spec }, store, s3Admin.value, { fieldManager: ctx.fieldManager, ensure }) : undefined,
    ]);
    o.database = db;
    o.storage = bucket;
    if (db) o.databaseProbe = db.probe;
    if (bucket) o.storageProbe = bucket.probe;
    const created = [...(db?.created ?? []), ...(bucket?.created ?? [])];
    if (created.length > 0) ctx.recorder.normal(reg, 'Provisioned', `created ${created.join(', ')} for this registry`, 'Provision');
    if (db?.probe.status === 'True' && bucket?.probe.status === 'True') ensured.set(uid, ensureKey);

    // 3. Generated secrets: read back, or generated once.
    const generated = await ensureHarborSecrets(src, { name, namespace, spec }, {
      fieldManager: ctx.fieldManager,
      ...(opts.generateSecrets ? { generate: opts.generateSecrets } : {}),
    });
    if (generated.written.length > 0) {
      ctx.recorder.normal(reg, 'SecretsGenerated', `generated and stored Harbor's internal secrets in ${generated.written.join(', ')}`, 'Provision');
    }
    const user = await userSecretsDigest(src, { namespace, spec });

    // 4. Which release runs.
    const job = await ctx.get(Job, { namespace, name: migrationJobName(name, spec.version) });
    o.plan = planUpgrade(spec.version, reg.status?.version, migrationJobState(job));

    // 5. Render and apply, once the data is there to point at (and the cache is this tenant's).
    const ext = spec.cache.mode === 'External' ? spec.cache.external : undefined;
    const cacheConflict = ext ? externalCacheConflict({ name, namespace, uid, spec }, opts.externalCacheUsers?.(ext.host, ext.port) ?? []) : undefined;
    if (db && bucket?.storage && !cacheConflict) {
      const input = (version: string): RenderInput => ({
        registry: { name, namespace, spec: { ...spec, version } },
        database: db.database,
        storage: bucket.storage as NonNullable<TenantBucketOutcome['storage']>,
        secrets: generated.secrets,
        ...(user.digest ? { userSecretsDigest: user.digest } : {}),
      });
      const rendered = renderHarbor(input(o.plan.version));
      const owner = withTypeMeta(reg);
      for (const obj of rendered.objects) {
        try {
          // Credentials of retained data must outlive the Registry: no owner, so no garbage
          // collection, whatever propagation policy deletes the Registry.
          await ctx.apply(obj, isRetained(obj) ? {} : { owner });
        } catch (e) {
          // Without cert-manager there is no Certificate kind: the rest still goes out, and the
          // user is told why the Ingress has no certificate.
          if (obj.kind === 'Certificate' && isNotFound(e)) {
            o.applyProblems.push(`cert-manager is not installed (no Certificate kind), so ${obj.metadata.name} was not requested: install cert-manager or use spec.expose.ingress.tls.secretName`);
            continue;
          }
          // Report what failed in the status before the error is retried.
          o.applyError = `applying ${obj.kind} ${obj.metadata.name} failed: ${e instanceof Error ? e.message : String(e)}`;
          break;
        }
      }
      if (!o.applyError) await deleteStaleMigrationJobs(ctx, name, namespace, spec.version);
      // Created once and then left alone: a Job's pod template cannot change, and the Job's
      // own record (its conditions, a deadline someone extended) is what the plan reads.
      if (o.plan.action === 'StartMigration' && !o.applyError) {
        const [applied] = await ctx.apply(renderHarbor(input(spec.version)).migrationJob, { owner });
        if (applied?.changed) {
          ctx.recorder.normal(reg, 'MigrationStarted', `upgrading Harbor ${o.plan.from} to ${o.plan.to}: Job ${migrationJobName(name, spec.version)} migrates the database first`, 'Upgrade');
        }
      }
      if (o.plan.action === 'CompleteMigration' && reg.status?.version !== spec.version) {
        ctx.recorder.normal(reg, 'MigrationCompleted', `database migrated to ${spec.version} by Job ${o.plan.job}; rolling components from ${o.plan.from}`, 'Upgrade');
      }
      if (o.plan.action === 'MigrationFailed') {
        ctx.recorder.warning(reg, 'MigrationFailed', `Job ${o.plan.job} failed (${o.plan.reason}: ${o.plan.message}); Harbor ${o.plan.from} keeps running`, 'Upgrade');
      }
      o.rendered = true;
      o.components = rendered.objects
        .filter((x) => x.kind === 'Deployment' && x.metadata.labels?.['app.kubernetes.io/component'] !== 'redis')
        .map((d) => ({
          component: d.metadata.labels?.['app.kubernetes.io/component'] ?? d.metadata.name ?? '',
          deploymentName: d.metadata.name ?? '',
          deployment: undefined,
        }));
    }

    // 6. Observe and report.
    for (const c of o.components) c.deployment = await ctx.get(Deployment, { namespace, name: c.deploymentName });
    const external = await externalCachePassword(src, { namespace, spec });
    o.cacheProbe = cacheConflict
      ? cacheConflict
      : !external.ok
      ? external.probe
      : await probeTenantCache(
          { name, namespace, spec },
          {
            externalPassword: external.password,
            dedicatedPassword: generated.secrets.redisPassword,
            redisDeployment: await ctx.get(Deployment, { namespace, name: names.redis }),
          },
          { inCluster: opts.inCluster },
        );
    const components: ProbeResult = o.rendered
      ? componentsProbe(o.components)
      : cacheConflict
        ? fail('WaitingForCache', 'components are created once spec.cache points at a Redis of this Registry\'s own (see CacheReady)')
        : fail('WaitingForData', 'components are created once the tenant database and bucket exist');
    if (user.missing.length > 0 || user.invalid.length > 0) {
      components.status = 'False';
      components.reason = user.missing.length > 0 ? 'SecretMissing' : 'SecretInvalid';
      components.message = [...user.missing.map((m) => `missing ${m}`), ...user.invalid].join('; ') + `. ${components.message}`;
    }
    if (o.applyError || o.applyProblems.length > 0) {
      components.status = 'False';
      components.reason = o.applyError ? 'ApplyFailed' : 'CertificateNotRequested';
      components.message = [o.applyError, ...o.applyProblems].filter(Boolean).join('; ') + `. ${components.message}`;
    }
    const conditions = registryConditions({
      database: o.databaseProbe,
      cache: o.cacheProbe,
      storage: o.storageProbe,
      components,
      upgrade: o.plan,
      rollingOut: o.components.some((c) => rolloutState(c.deployment).state === 'RollingOut'),
    });
    const runningVersion =
      o.rendered && (o.plan.action === 'Install' || o.plan.action === 'CompleteMigration') ? spec.version : reg.status?.version;
    const status: Omit<RegistryStatus, 'conditions'> = {
      externalURL: externalURL(spec),
      ...(runningVersion ? { version: runningVersion } : {}),
      ...(db ? { database: { name: db.database.database, secretName: names.databaseSecret } } : {}),
      ...(bucket && store ? { storage: { bucket: bucketOf({ name, namespace, spec }, store), secretName: names.storageSecret } } : {}),
    };
    await writeStatus(reg, ctx, conditions, status);
    if (o.applyError) throw new Error(o.applyError);
    const ready = conditions.find((c) => c.type === 'Ready')?.status === 'True';
    return { requeueAfter: ready ? (opts.probeIntervalMs ?? 60_000) : (opts.retryIntervalMs ?? 10_000) };
  }

  return { reconcile };
}

/** Applies status with conditions merged (transition times kept), observedGeneration set. */
export async function writeStatus(reg: Registry, ctx: ReconcileContext, inputs: ConditionInput[], status: Omit<RegistryStatus, 'conditions'> = {}): Promise<void> {
  const generation = reg.metadata.generation;
  const conditions = setConditions(
    reg.status?.conditions,
    inputs.map((c) => ({ ...c, ...(generation !== undefined ? { observedGeneration: generation } : {}) })),
  ).map((c) => ({ ...c, reason: c.reason ?? '', message: c.message ?? '', lastTransitionTime: c.lastTransitionTime ?? '' }));
  const next: RegistryStatus = { ...reg.status, ...status, conditions, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
  await ctx.applyStatus(withTypeMeta(reg), next);
}

/** Migration Jobs of other releases: finished history, or a migration the user redirected. */
async function deleteStaleMigrationJobs(ctx: ReconcileContext, name: string, namespace: string, version: string): Promise<void> {
  const keep = migrationJobName(name, version);
  const jobs = await ctx.list(Job, {
    namespace,
    labelSelector: `app.kubernetes.io/instance=${boundedName(name)},app.kubernetes.io/component=migration`,
  });
  for (const j of jobs) {
    if (j.metadata.name === keep || j.metadata.deletionTimestamp) continue;
    try {
      await ctx.client.delete(Job, { namespace, name: j.metadata.name ?? '' }, { propagationPolicy: 'Background' });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
