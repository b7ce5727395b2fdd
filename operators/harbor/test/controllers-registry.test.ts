// The Registry controller end to end, on real parts: a real apiserver with controller-manager
// and kwok, real PostgreSQL, SeaweedFS S3 and Redis. Two tenants share the database server and
// the object store; each gets its own database, bucket and credentials, and nothing of one is
// reachable with the other's credentials.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  ConfigMap,
  controllerMetrics,
  Deployment,
  Ingress,
  keyOf,
  NetworkPolicy,
  PodDisruptionBudget,
  Secret,
  Service,
  type KubeObject,
} from '@tugboat/runtime';
import { Registry } from '../src/api/registry.js';
import { registryFinalizer } from '../src/controllers/registry-cleanup.js';
import { connect } from '../src/provision/postgres.js';
import { inspectTenantBucket, s3Client } from '../src/provision/s3.js';
import { inspectTenantDatabase } from '../src/provision/postgres.js';
import { registryNames, tenantDatabaseName, tenantStorageUserName } from '../src/render/names.js';
import { databaseSecretKeys, encryptionKeyKey, storageSecretKeys } from '../src/render/secret-keys.js';
import { condition, eventually, registerSharedServices, serverName, startHarborEnv, type HarborEnv } from './controllers-env.js';

const value = (s: Secret | undefined, key: string) => Buffer.from(s?.data?.[key] ?? '', 'base64').toString('utf8');

describe('Registry controller with real PostgreSQL, S3 and Redis', { timeout: 600_000 }, () => {
  let env: HarborEnv;

  before(async () => {
    env = await startHarborEnv();
    await env.startOperator();
    await registerSharedServices(env);
    await env.tenantNamespace('acme');
    await env.tenantNamespace('globex');
    await env.createRegistry('acme', 'harbor', {
      deletionPolicy: 'Delete',
      components: { core: { replicas: 2 }, portal: { replicas: 2 } },
    });
    await env.createRegistry('globex', 'harbor', { deletionPolicy: 'Retain' });
  });

  after(async () => {
    await env?.stop();
  });

  it('brings both tenants to Ready, each condition from a real probe', async () => {
    for (const ns of ['acme', 'globex']) {
      const r = await env.waitForCondition(ns, 'harbor', 'Ready', 'True');
      for (const type of ['DatabaseReady', 'CacheReady', 'StorageReady', 'ComponentsReady']) {
        assert.equal(condition(r, type)?.status, 'True', `${ns} ${type}: ${condition(r, type)?.message}`);
      }
      assert.equal(condition(r, 'Degraded')?.status, 'False');
      assert.equal(r.status?.version, '2.15.2');
      assert.equal(r.status?.observedGeneration, r.metadata.generation);
      assert.match(condition(r, 'DatabaseReady')?.message ?? '', new RegExp(`connected to database ${tenantDatabaseName(ns, 'harbor')}`));
      assert.match(condition(r, 'CacheReady')?.message ?? '', /answered PING/);
      assert.ok(r.metadata.finalizers?.includes(registryFinalizer));
    }
  });

  it('gives each tenant its own database and bucket, owned by its own role and user', async () => {
    const a = await env.getRegistry('acme', 'harbor');
    const g = await env.getRegistry('globex', 'harbor');
    assert.notEqual(a.status?.database?.name, g.status?.database?.name);
    assert.notEqual(a.status?.storage?.bucket, g.status?.storage?.bucket);
    for (const [ns, r] of [['acme', a], ['globex', g]] as const) {
      const db = r.status?.database?.name ?? '';
      const state = await inspectTenantDatabase(env.pgAdmin, { database: db, role: db });
      assert.deepEqual(state, { database: true, role: true, owner: db, publicCanConnect: false });
      const bucket = await inspectTenantBucket(env.s3Admin, { bucket: r.status?.storage?.bucket ?? '', user: tenantStorageUserName(ns, 'harbor') });
      assert.equal(bucket.bucket, true);
      assert.equal(bucket.accessKeys.length, 1);
    }
  });

  it('creates every component object: Secrets, ConfigMaps, Deployments, Services, Ingress, NetworkPolicies, PDBs', async () => {
    const n = registryNames('harbor');
    for (const ns of ['acme', 'globex']) {
      for (const s of [n.internalSecret, n.adminSecret, n.encryptionKeySecret, n.databaseSecret, n.storageSecret]) await env.client.get(Secret, { namespace: ns, name: s });
      for (const d of [n.core, n.portal, n.jobservice, n.registry]) {
        const dep = await env.client.get(Deployment, { namespace: ns, name: d });
        assert.match(dep.spec?.template.metadata?.annotations?.['checksum.registry.tugboat.dev/config'] ?? '', /^[0-9a-f]{64}$/);
        await env.client.get(Service, { namespace: ns, name: d });
      }
      assert.ok((await env.client.list(ConfigMap, { namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=tugboat' })).items.length >= 3);
      const ing = await env.client.get(Ingress, { namespace: ns, name: n.ingress });
      assert.equal(ing.spec?.rules?.[0]?.host, `registry.${ns}.example`);
      assert.ok((await env.client.list(NetworkPolicy, { namespace: ns })).items.length > 0);
    }
    // Two or more replicas get a PodDisruptionBudget; one replica does not.
    const pdbs = (await env.client.list(PodDisruptionBudget, { namespace: 'acme' })).items.map((p) => p.metadata.name).sort();
    assert.deepEqual(pdbs, [`${n.core}-pdb`, `${n.portal}-pdb`].sort());
    assert.equal((await env.client.list(PodDisruptionBudget, { namespace: 'globex' })).items.length, 0);
    // The credentials of retained data are not owned by the Registry (garbage collection must not take them).
    for (const s of [n.databaseSecret, n.storageSecret, n.encryptionKeySecret]) {
      assert.equal((await env.client.get(Secret, { namespace: 'acme', name: s })).metadata.ownerReferences, undefined, s);
    }
    const internal = await env.client.get(Secret, { namespace: 'acme', name: n.internalSecret });
    assert.equal(internal.metadata.ownerReferences?.[0]?.kind, 'Registry');
  });

  it("keeps tenants apart: acme's credentials reach neither globex's database nor its bucket", async () => {
    const n = registryNames('harbor');
    const acmeDb = await env.client.get(Secret, { namespace: 'acme', name: n.databaseSecret });
    const acmeS3 = await env.client.get(Secret, { namespace: 'acme', name: n.storageSecret });
    const globex = await env.getRegistry('globex', 'harbor');
    const acmeLogin = { host: env.pg.host, port: env.pg.port, user: value(acmeDb, databaseSecretKeys.username), password: value(acmeDb, databaseSecretKeys.password), sslMode: 'disable' as const };

    const own = await connect({ ...acmeLogin, database: value(acmeDb, databaseSecretKeys.database) });
    await own.query('CREATE TABLE probe (x int)');
    await own.end();
    await assert.rejects(connect({ ...acmeLogin, database: globex.status?.database?.name ?? '' }), (e: Error & { code?: string }) => {
      assert.equal(e.code, '42501', e.message); // insufficient_privilege: CONNECT revoked from PUBLIC
      return true;
    });

    const s3 = s3Client({ endpoint: env.s3.endpoint, region: env.s3.region, forcePathStyle: true }, {
      accessKey: value(acmeS3, storageSecretKeys.accessKey),
      secretKey: value(acmeS3, storageSecretKeys.secretKey),
    });
    try {
      const ownBucket = value(acmeS3, storageSecretKeys.bucket);
      await s3.send(new PutObjectCommand({ Bucket: ownBucket, Key: 'hello.txt', Body: 'acme' }));
      const got = await s3.send(new GetObjectCommand({ Bucket: ownBucket, Key: 'hello.txt' }));
      assert.equal(await got.Body?.transformToString(), 'acme');
      await assert.rejects(s3.send(new ListObjectsV2Command({ Bucket: globex.status?.storage?.bucket ?? '' })), /AccessDenied|Access Denied/);
      await assert.rejects(s3.send(new PutObjectCommand({ Bucket: globex.status?.storage?.bucket ?? '', Key: 'x', Body: 'y' })), /AccessDenied|Access Denied/);
    } finally {
      s3.destroy();
    }
  });

  it("refuses a Registry that names another tenant's bucket: StorageReady=False, nothing granted, the owner keeps serving", async () => {
    const acme = await env.getRegistry('acme', 'harbor');
    const taken = acme.status?.storage?.bucket ?? '';
    assert.ok(taken);
    await env.tenantNamespace('squatter');
    await env.createRegistry('squatter', 'harbor', { deletionPolicy: 'Delete', storage: { objectStoreRef: { name: serverName }, bucket: taken } });
    const r = await env.waitForCondition('squatter', 'harbor', 'StorageReady', 'False');
    const c = condition(r, 'StorageReady');
    assert.equal(c?.reason, 'BucketNotOwned');
    assert.match(c?.message ?? '', new RegExp(`spec\\.storage\\.bucket ${taken} .*another Registry owns it.*nothing was granted`));
    assert.doesNotMatch(c?.message ?? '', /acme\/harbor/, "the owner's name is not shown to another tenant");
    assert.equal(condition(r, 'Ready')?.status, 'False');
    const state = await inspectTenantBucket(env.s3Admin, { bucket: taken, user: tenantStorageUserName('squatter', 'harbor') });
    assert.deepEqual(state.accessKeys, [], 'no key for the squatter');
    await assert.rejects(env.client.get(Secret, { namespace: 'squatter', name: registryNames('harbor').storageSecret }), /not found/i);
    assert.equal(condition(await env.getRegistry('acme', 'harbor'), 'Ready')?.status, 'True');
    await env.client.delete(Registry, { namespace: 'squatter', name: 'harbor' });
    await eventually('squatter Registry gone', async () => ((await env.client.list(Registry, { namespace: 'squatter' })).items.length === 0 ? true : undefined));
    // Its deletionPolicy Delete dropped its own database, not the bucket it never owned.
    assert.equal((await inspectTenantBucket(env.s3Admin, { bucket: taken, user: tenantStorageUserName('acme', 'harbor') })).bucket, true);
    const deleted = (await env.events('squatter', 'harbor')).find((e) => e.reason === 'DataDeleted');
    assert.match(deleted?.note ?? '', new RegExp(`kept bucket ${taken} \\(it is not marked as this Registry's\\)`));
  });

  it("refuses a Registry whose External cache is another tenant's Redis; renders nothing against it; the first keeps it", async () => {
    const acmeRedis = await env.tenantNamespace('acme'); // the Redis acme's Registry uses
    await env.tenantNamespace('copycat');
    await env.createRegistry('copycat', 'harbor', {
      cache: { mode: 'External', external: { host: acmeRedis.host, port: acmeRedis.port, passwordSecretRef: { name: 'tenant-redis', key: 'password' } } },
    });
    const r = await env.waitForCondition('copycat', 'harbor', 'CacheReady', 'False');
    const c = condition(r, 'CacheReady');
    assert.equal(c?.reason, 'CacheInUse');
    assert.match(c?.message ?? '', /is already the cache of another Registry.*database 0.*Redis of this Registry's own/);
    assert.equal(condition(r, 'ComponentsReady')?.reason, 'WaitingForCache');
    assert.deepEqual((await env.client.list(Deployment, { namespace: 'copycat' })).items.map((d) => d.metadata.name), [], 'no component points at the other Redis');
    assert.equal(condition(await env.getRegistry('acme', 'harbor'), 'Ready')?.status, 'True', 'the first Registry keeps its cache');
    await env.client.delete(Registry, { namespace: 'copycat', name: 'harbor' });
    await eventually('copycat Registry gone', async () => ((await env.client.list(Registry, { namespace: 'copycat' })).items.length === 0 ? true : undefined));
  });

  it('writes nothing on a resync that finds nothing to change', async () => {
    const op = env.operator;
    assert.ok(op);
    const versions = async () => {
      const out = new Map<string, string>();
      const add = (o: KubeObject) => out.set(`${o.kind}/${keyOf(o)}`, o.metadata.resourceVersion ?? '');
      for (const ns of ['acme', 'globex']) {
        for (const kind of [Secret, ConfigMap, Deployment, Service, Ingress, NetworkPolicy, PodDisruptionBudget]) {
          for (const o of (await env.client.list(kind as typeof Secret, { namespace: ns })).items) add({ ...o, kind: kind.kind });
        }
        add({ ...(await env.getRegistry(ns, 'harbor')), kind: 'Registry' });
      }
      return out;
    };
    const metrics = controllerMetrics(op.manager.registry);
    const reconciles = () => ['success', 'requeue_after', 'requeue', 'error'].reduce((n, result) => n + metrics.reconcileTotal.get({ controller: 'registry', result }), 0);
    // Settled: every Deployment rollout finished, so nothing moves on its own.
    await env.waitForCondition('acme', 'harbor', 'Progressing', 'False');
    await env.waitForCondition('globex', 'harbor', 'Progressing', 'False');
    const before = await versions();
    const count = reconciles();
    op.controllers.registry.enqueue({ namespace: 'acme', name: 'harbor' });
    op.controllers.registry.enqueue({ namespace: 'globex', name: 'harbor' });
    await eventually('two more reconciles', () => (reconciles() >= count + 2 ? true : undefined));
    assert.deepEqual(await versions(), before);
  });

  it('never changes the encryption key: not on a reconcile, not across an operator restart', async () => {
    const n = registryNames('harbor');
    const read = () => env.client.get(Secret, { namespace: 'globex', name: n.encryptionKeySecret });
    const first = await read();
    const key = value(first, encryptionKeyKey);
    assert.equal(key.length, 16);

    // A spec change makes the controller re-render and re-apply everything; jobservice's changed
    // config.yml (a ConfigMap) rolls its pods through the checksum annotation.
    const checksumOf = async () =>
      (await env.client.get(Deployment, { namespace: 'globex', name: n.jobservice })).spec?.template.metadata?.annotations?.['checksum.registry.tugboat.dev/config'];
    const checksumBefore = await checksumOf();
    const r = await env.getRegistry('globex', 'harbor');
    await env.client.patch(Registry, { namespace: 'globex', name: 'harbor' }, { spec: { components: { jobservice: { workers: 5 } } } }, 'merge');
    await eventually('globex reconciled at its new generation', async () => {
      const now = await env.getRegistry('globex', 'harbor');
      return (now.metadata.generation ?? 0) > (r.metadata.generation ?? 0) && now.status?.observedGeneration === now.metadata.generation ? true : undefined;
    });
    assert.notEqual(await checksumOf(), checksumBefore);

    await env.stopOperator();
    const op = await env.startOperator();
    const metrics = controllerMetrics(op.manager.registry);
    await eventually('the restarted operator reconciled globex', () => (metrics.reconcileTotal.get({ controller: 'registry', result: 'requeue_after' }) >= 2 ? true : undefined));
    await env.waitForCondition('globex', 'harbor', 'Ready', 'True');

    const last = await read();
    assert.equal(value(last, encryptionKeyKey), key);
    assert.equal(last.metadata.resourceVersion, first.metadata.resourceVersion);
  });

  it('regenerates a lost internal Secret without touching the encryption key', async () => {
    const n = registryNames('harbor');
    const keyBefore = value(await env.client.get(Secret, { namespace: 'globex', name: n.encryptionKeySecret }), encryptionKeyKey);
    const oldInternal = await env.client.get(Secret, { namespace: 'globex', name: n.internalSecret });
    await env.client.delete(Secret, { namespace: 'globex', name: n.internalSecret });
    const fresh = await eventually('a new internal Secret', async () => {
      const s = await env.client.get(Secret, { namespace: 'globex', name: n.internalSecret });
      return s.metadata.uid !== oldInternal.metadata.uid ? s : undefined;
    });
    assert.notEqual(value(fresh, 'core-secret'), value(oldInternal, 'core-secret'));
    assert.equal(value(await env.client.get(Secret, { namespace: 'globex', name: n.encryptionKeySecret }), encryptionKeyKey), keyBefore);
  });

  it('runs a dedicated Redis for a tenant without an external cache, and says it cannot PING it from outside the cluster', async () => {
    await env.tenantNamespace('initech');
    await env.client.create(
      Registry,
      Registry.make({
        metadata: { name: 'harbor', namespace: 'initech' },
        spec: { ...env.registrySpec('initech'), cache: { mode: 'Dedicated' } },
      }),
    );
    const n = registryNames('harbor');
    const r = await env.waitForCondition('initech', 'harbor', 'ComponentsReady', 'True');
    await env.client.get(Deployment, { namespace: 'initech', name: n.redis });
    await env.client.get(Service, { namespace: 'initech', name: n.redis });
    const redisConf = value(await env.client.get(Secret, { namespace: 'initech', name: n.redis }), 'redis.conf');
    const internal = await env.client.get(Secret, { namespace: 'initech', name: n.internalSecret });
    assert.ok(redisConf.includes(`requirepass ${value(internal, 'redis-password')}`));
    // The operator runs outside the cluster here (as in every test: kwok pods are not processes),
    // so it does not pretend: the cache is Unknown, and so is Ready; nothing is Degraded.
    const cache = condition(r, 'CacheReady');
    assert.equal(cache?.status, 'Unknown');
    assert.equal(cache?.reason, 'NotProbed');
    assert.match(cache?.message ?? '', /runs outside the cluster and cannot reach the dedicated Redis at harbor-redis\.initech\.svc\.cluster\.local:6379.*use spec\.cache\.mode External/);
    assert.equal(condition(r, 'Ready')?.status, 'Unknown');
    assert.equal(condition(r, 'Ready')?.reason, 'CacheNotReady');
    assert.equal(condition(r, 'Degraded')?.status, 'False');
    assert.equal(condition(r, 'DatabaseReady')?.status, 'True');
  });

  it('applies everything else and says why when cert-manager is missing for a certManager TLS request', async () => {
    await env.tenantNamespace('hooli');
    await env.createRegistry('hooli', 'harbor', {
      expose: { ingress: { host: 'registry.hooli.example', tls: { certManager: { issuerRef: { name: 'letsencrypt' } } } } },
    });
    const r = await env.waitForCondition('hooli', 'harbor', 'Degraded', 'True');
    assert.equal(condition(r, 'ComponentsReady')?.reason, 'CertificateNotRequested');
    assert.match(condition(r, 'ComponentsReady')?.message ?? '', /cert-manager is not installed.*install cert-manager or use spec\.expose\.ingress\.tls\.secretName/);
    assert.equal(condition(r, 'Ready')?.status, 'False');
    const n = registryNames('harbor');
    const ing = await eventually('the Ingress, applied after the Certificate was skipped', () => env.client.get(Ingress, { namespace: 'hooli', name: n.ingress }));
    assert.equal(ing.spec?.tls?.[0]?.secretName, n.tls);
  });

  it('deletionPolicy Delete drops the database, role, bucket, storage user and their Secrets', async () => {
    const r = await env.getRegistry('acme', 'harbor');
    const db = r.status?.database?.name ?? '';
    const bucket = r.status?.storage?.bucket ?? '';
    await env.client.delete(Registry, { namespace: 'acme', name: 'harbor' });
    await eventually('acme Registry gone', async () => {
      try {
        await env.getRegistry('acme', 'harbor');
        return undefined;
      } catch {
        return true;
      }
    });
    assert.deepEqual(await inspectTenantDatabase(env.pgAdmin, { database: db, role: db }), { database: false, role: false });
    assert.deepEqual(await inspectTenantBucket(env.s3Admin, { bucket, user: tenantStorageUserName('acme', 'harbor') }), { bucket: false, user: false, accessKeys: [] });
    const n = registryNames('harbor');
    for (const s of [n.databaseSecret, n.storageSecret, n.encryptionKeySecret]) {
      await assert.rejects(env.client.get(Secret, { namespace: 'acme', name: s }), /not found/);
    }
    const events = await eventually('DataDeleted event', async () => {
      const es = (await env.events('acme', 'harbor')).filter((e) => e.reason === 'DataDeleted');
      return es.length > 0 ? es : undefined;
    });
    assert.match(events[0]?.note ?? '', new RegExp(`database ${db}.*bucket ${bucket}`));
    // Owned objects go with the Registry (garbage collection).
    await eventually('acme Deployments collected', async () => ((await env.client.list(Deployment, { namespace: 'acme' })).items.length === 0 ? true : undefined));
  });

  it('deletionPolicy Retain keeps the data and its Secrets, says so in an event, and a new Registry picks them up', async () => {
    const n = registryNames('harbor');
    const r = await env.getRegistry('globex', 'harbor');
    const db = r.status?.database?.name ?? '';
    const bucket = r.status?.storage?.bucket ?? '';
    const key = value(await env.client.get(Secret, { namespace: 'globex', name: n.encryptionKeySecret }), encryptionKeyKey);
    const password = value(await env.client.get(Secret, { namespace: 'globex', name: n.databaseSecret }), databaseSecretKeys.password);
    await env.client.delete(Registry, { namespace: 'globex', name: 'harbor' }, { propagationPolicy: 'Foreground' });
    await eventually('globex Registry gone', async () => {
      try {
        await env.getRegistry('globex', 'harbor');
        return undefined;
      } catch {
        return true;
      }
    });
    assert.deepEqual(await inspectTenantDatabase(env.pgAdmin, { database: db, role: db }), { database: true, role: true, owner: db, publicCanConnect: false });
    assert.equal((await inspectTenantBucket(env.s3Admin, { bucket, user: tenantStorageUserName('globex', 'harbor') })).bucket, true);
    const events = await eventually('DataRetained event', async () => {
      const es = (await env.events('globex', 'harbor')).filter((e) => e.reason === 'DataRetained');
      return es.length > 0 ? es : undefined;
    });
    assert.match(events[0]?.note ?? '', new RegExp(`kept database ${db}.*bucket ${bucket}`));
    await eventually('globex Deployments collected', async () => ((await env.client.list(Deployment, { namespace: 'globex' })).items.length === 0 ? true : undefined));
    for (const s of [n.databaseSecret, n.storageSecret, n.encryptionKeySecret]) await env.client.get(Secret, { namespace: 'globex', name: s });
    // Foreground deletion waits only for dependents that block it; the garbage collector removes
    // the rest (Services, ConfigMaps, the internal Secret, …) afterwards. This test is about the
    // retained data being picked up, so it starts the new Registry once the old one's objects are
    // all gone, not in a race with the collector.
    const oldUid = r.metadata.uid ?? '';
    await eventually('every object of the old Registry collected', async () => {
      for (const kind of [Service, ConfigMap, Secret, NetworkPolicy, PodDisruptionBudget, Ingress] as const) {
        const items = (await env.client.list(kind as typeof Service, { namespace: 'globex' })).items as KubeObject[];
        if (items.some((o) => o.metadata.ownerReferences?.some((ref) => ref.uid === oldUid))) return undefined;
      }
      return true;
    }, 120_000);

    // The same name again: the retained credentials and key are used, not replaced.
    await env.createRegistry('globex', 'harbor', { deletionPolicy: 'Retain' });
    const back = await env.waitForCondition('globex', 'harbor', 'Ready', 'True', 240_000);
    assert.equal(back.status?.database?.name, db);
    assert.equal(value(await env.client.get(Secret, { namespace: 'globex', name: n.encryptionKeySecret }), encryptionKeyKey), key);
    assert.equal(value(await env.client.get(Secret, { namespace: 'globex', name: n.databaseSecret }), databaseSecretKeys.password), password);
  });
});
