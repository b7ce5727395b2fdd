// The conditions of a Registry, as a pure function of what one reconcile observed: the probes of
// the tenant's database, cache and bucket, the component Deployments, and the upgrade plan.
// Every message is written for `kubectl describe registry`: what is wrong and what to do. None
// of them may contain a credential, so they are built only from names, hosts and states.
import type { ConditionInput, ConditionStatus } from '@tugboat/runtime/conditions';
import type { UpgradePlan } from './upgrade-plan.js';

/** The outcome of one real probe (or of the step before it, e.g. provisioning). */
export interface ProbeResult {
  status: ConditionStatus;
  reason: string;
  message: string;
}

export interface DeploymentLike {
  metadata: { name?: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export interface ComponentObservation {
  /** Component name as users know it: core, portal, jobservice, registry, … */
  component: string;
  deploymentName: string;
  deployment: DeploymentLike | undefined;
}

export type RolloutState =
  | { state: 'Missing' }
  | { state: 'Available'; ready: number; desired: number }
  | { state: 'RollingOut'; ready: number; desired: number; updated: number }
  | { state: 'Failed'; reason: string; message: string };

/** A Deployment's rollout, judged like `kubectl rollout status`. */
export function rolloutState(d: DeploymentLike | undefined): RolloutState {
  if (!d) return { state: 'Missing' };
  const desired = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return { state: 'Failed', reason: 'ProgressDeadlineExceeded', message: progressing.message ?? 'rollout exceeded its progress deadline' };
  }
  const ready = s.availableReplicas ?? 0;
  const updated = s.updatedReplicas ?? 0;
  const observed = (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
  const settled = observed && updated >= desired && (s.replicas ?? 0) <= desired && ready >= desired;
  return settled ? { state: 'Available', ready, desired } : { state: 'RollingOut', ready, desired, updated };
}

export function componentsProbe(components: ComponentObservation[]): ProbeResult {
  const missing: string[] = [];
  const rolling: string[] = [];
  const failed: string[] = [];
  for (const c of components) {
    const r = rolloutState(c.deployment);
    if (r.state === 'Missing') missing.push(c.component);
    else if (r.state === 'RollingOut') rolling.push(`${c.component} ${r.ready}/${r.desired} available, ${r.updated} updated`);
    else if (r.state === 'Failed') failed.push(`${c.component} (Deployment ${c.deploymentName}): ${r.message}`);
  }
  if (failed.length > 0) {
    return {
      status: 'False',
      reason: 'RolloutFailed',
      message: `rollout stuck: ${failed.join('; ')}. Check the pods with kubectl describe pods -l app.kubernetes.io/component=<component>`,
    };
  }
  if (missing.length > 0) return { status: 'False', reason: 'ComponentsMissing', message: `not created yet: ${missing.join(', ')}` };
  if (rolling.length > 0) return { status: 'False', reason: 'ComponentsNotAvailable', message: `waiting for ${rolling.join('; ')}` };
  return {
    status: 'True',
    reason: 'ComponentsAvailable',
    message: `all ${components.length} components available: ${components.map((c) => c.component).join(', ')}`,
  };
}

export interface RegistryObservations {
  database: ProbeResult;
  cache: ProbeResult;
  storage: ProbeResult;
  components: ProbeResult;
  /** Undefined when the upgrade step did not run (e.g. provisioning failed first). */
  upgrade: UpgradePlan | undefined;
  /** Set while a component rollout is in flight (from componentsProbe reason). */
  rollingOut: boolean;
}

function upgradeProgress(plan: UpgradePlan | undefined): ConditionInput | undefined {
  if (!plan) return undefined;
  switch (plan.action) {
    case 'StartMigration':
    case 'AwaitMigration':
      return {
        type: 'Progressing',
        status: 'True',
        reason: 'MigratingDatabase',
        message: `upgrading Harbor ${plan.from} to ${plan.to}: the database migration Job${plan.action === 'AwaitMigration' ? ` ${plan.job}` : ''} runs; components keep running ${plan.from} until it completes`,
      };
    case 'CompleteMigration':
      return {
        type: 'Progressing',
        status: 'True',
        reason: 'RollingOut',
        message: `database migrated to ${plan.version} (Job ${plan.job}); rolling components from ${plan.from} to ${plan.version}`,
      };
    default:
      return undefined;
  }
}

/** ComponentsReady reasons that are failures someone must fix, not waiting. */
const componentFailures = new Set(['RolloutFailed', 'ApplyFailed', 'CertificateNotRequested', 'SecretMissing', 'SecretInvalid']);

function degradation(o: RegistryObservations): ConditionInput {
  const plan = o.upgrade;
  if (plan?.action === 'MigrationFailed') {
    return {
      type: 'Degraded',
      status: 'True',
      reason: 'MigrationFailed',
      message:
        `the database migration to ${plan.to} failed (Job ${plan.job}: ${plan.reason}: ${plan.message}); Harbor ${plan.from} keeps running. ` +
        `Look at the Job's pod logs, fix the cause, then delete Job ${plan.job} to retry`,
    };
  }
  if (plan?.action === 'Refused') {
    return { type: 'Degraded', status: 'True', reason: 'VersionRefused', message: plan.message };
  }
  const failing: [string, ProbeResult][] = (
    [
      ['database', o.database],
      ['cache', o.cache],
      ['storage', o.storage],
    ] as [string, ProbeResult][]
  ).filter(([, p]) => p.status === 'False');
  if (componentFailures.has(o.components.reason)) failing.push(['components', o.components]);
  if (failing.length > 0) {
    return {
      type: 'Degraded',
      status: 'True',
      reason: failing[0]?.[1].reason ?? 'Failing',
      message: failing.map(([what, p]) => `${what}: ${p.message}`).join('; '),
    };
  }
  return { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'no failures observed' };
}

/** DatabaseReady, CacheReady, StorageReady, ComponentsReady, Progressing, Degraded and Ready. */
export function registryConditions(o: RegistryObservations): ConditionInput[] {
  const parts: [string, string, ProbeResult][] = [
    ['DatabaseReady', 'database', o.database],
    ['CacheReady', 'cache', o.cache],
    ['StorageReady', 'storage', o.storage],
    ['ComponentsReady', 'components', o.components],
  ];
  const out: ConditionInput[] = parts.map(([type, , p]) => ({ type, status: p.status, reason: p.reason, message: p.message }));

  const progressing: ConditionInput = upgradeProgress(o.upgrade) ??
    (o.rollingOut || o.components.reason === 'ComponentsMissing'
      ? { type: 'Progressing', status: 'True', reason: 'RollingOut', message: o.components.message }
      : { type: 'Progressing', status: 'False', reason: 'Stable', message: `Harbor ${o.upgrade?.version ?? ''} is rolled out`.replace('  ', ' ') });
  out.push(progressing);
  out.push(degradation(o));

  const notTrue = parts.filter(([, , p]) => p.status !== 'True');
  if (notTrue.length === 0) {
    out.push({ type: 'Ready', status: 'True', reason: 'Ready', message: `Harbor ${o.upgrade?.version ?? ''} is serving: database, cache, storage and all components are ready`.replace('  ', ' ') });
  } else {
    const anyFalse = notTrue.some(([, , p]) => p.status === 'False');
    const first = notTrue.find(([, , p]) => p.status === 'False') ?? notTrue[0];
    out.push({
      type: 'Ready',
      status: anyFalse ? 'False' : 'Unknown',
      reason: first ? `${first[0].replace(/Ready$/, '')}NotReady` : 'NotReady',
      message: notTrue.map(([, what, p]) => `${what}: ${p.message}`).join('; '),
    });
  }
  return out;
}
