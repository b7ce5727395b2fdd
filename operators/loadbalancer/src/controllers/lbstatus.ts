// A load balancer's status from what the reconcile observed. Pure: the same observations give
// the same status, so an unchanged situation produces an identical status and no write.
//
//   Ready        the LB serves: an address is allocated and available replicas exist.
//   Progressing  the workload is changing: a Deployment rollout, or replicas that have not yet
//                applied the newest configuration. False with RolloutQueued while a class-wide
//                rollout has not reached this LB yet.
//   Degraded     serving, but something needs attention: a configuration refused by HAProxy,
//                a Service that cannot be resolved, fewer replicas than asked for.
import type { Deployment } from '@tugboat/runtime';
import { setConditions, type ConditionInput } from '@tugboat/runtime/conditions';
import type { Condition } from '../api/condition.js';
import type { LoadBalancerStatus } from '../api/loadbalancer.js';

/** Conditions with apimachinery's semantics (lastTransitionTime moves only on a flip), all fields set. */
export function mergeConditions(previous: readonly Condition[] | undefined, next: readonly ConditionInput[], generation: number, now: string): Condition[] {
  const merged = setConditions(previous, next.map((c) => ({ ...c, observedGeneration: generation })), new Date(now));
  const order = new Map(next.map((c, i) => [c.type, i]));
  return merged
    .filter((c) => order.has(c.type))
    .sort((a, b) => (order.get(a.type) ?? 0) - (order.get(b.type) ?? 0))
    .map((c) => ({ type: c.type, status: c.status, observedGeneration: generation, lastTransitionTime: c.lastTransitionTime ?? now, reason: c.reason ?? c.type, message: c.message ?? '' }));
}

export interface PodReport {
  name: string;
  /** Hash of the configuration the agent runs (pod annotation), if it reported one. */
  applied?: string | undefined;
  /** A configuration the agent refused, if any. */
  rejected?: string | undefined;
}

/** Why the load balancer has no workload (no address, no class, a spec that cannot render). */
export interface Blocker {
  reason: string;
  message: string;
  /** Nothing will unblock it without the user (cert-manager missing): Degraded, not only not Ready. */
  degraded?: boolean | undefined;
}

export interface StatusObservation {
  generation: number;
  previous: LoadBalancerStatus | undefined;
  now: string;
  address?: string | undefined;
  blocker?: Blocker | undefined;
  /** Problems that leave the LB serving (unresolvable Services). */
  warnings: readonly string[];
  configHash?: string | undefined;
  classGeneration?: number | undefined;
  /** Set while a class-wide rollout has not admitted this LB. */
  queuedBehind?: { className: string; generation: number } | undefined;
  replicas: number;
  deployment?: Deployment | undefined;
  pods: readonly PodReport[];
}

function rollout(d: Deployment | undefined, replicas: number): { done: boolean; available: number; message: string } {
  if (d === undefined) return { done: false, available: 0, message: 'the Deployment does not exist yet' };
  const s = d.status ?? {};
  const available = s.availableReplicas ?? 0;
  if ((s.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return { done: false, available, message: 'the Deployment controller has not seen the newest pod template yet' };
  const updated = s.updatedReplicas ?? 0;
  if (updated < replicas) return { done: false, available, message: `${updated} of ${replicas} replicas run the newest pod template` };
  if ((s.replicas ?? 0) > replicas) return { done: false, available, message: `${(s.replicas ?? 0) - replicas} old replica(s) are terminating` };
  if (available < replicas) return { done: false, available, message: `${available} of ${replicas} replicas are available` };
  return { done: true, available, message: `${replicas} of ${replicas} replicas run the newest pod template` };
}

/** The hash every replica reports, when they all report one and agree. */
export function commonAppliedHash(pods: readonly PodReport[], replicas: number): string | undefined {
  if (pods.length < replicas || pods.length === 0) return undefined;
  const first = pods[0]?.applied;
  return first !== undefined && pods.every((p) => p.applied === first) ? first : undefined;
}

export function computeStatus(o: StatusObservation): LoadBalancerStatus {
  const ready: ConditionInput[] = [];
  const conds: ConditionInput[] = [];
  const status: LoadBalancerStatus = { observedGeneration: o.generation };
  if (o.address !== undefined) {
    status.address = o.address;
    status.addresses = [o.address];
  }
  if (o.blocker !== undefined) {
    ready.push({ type: 'Ready', status: 'False', reason: o.blocker.reason, message: o.blocker.message });
    conds.push({ type: 'Progressing', status: 'False', reason: o.blocker.reason, message: 'nothing can be rolled out until Ready reports otherwise' });
    conds.push(
      o.blocker.degraded === true
        ? { type: 'Degraded', status: 'True', reason: o.blocker.reason, message: o.blocker.message }
        : { type: 'Degraded', status: 'False', reason: 'NotServing', message: 'the load balancer is not serving yet' },
    );
    status.conditions = mergeConditions(o.previous?.conditions, [...ready, ...conds], o.generation, o.now);
    if (o.previous?.appliedConfigHash !== undefined) status.appliedConfigHash = o.previous.appliedConfigHash;
    if (o.previous?.settledClassGeneration !== undefined) status.settledClassGeneration = o.previous.settledClassGeneration;
    return status;
  }
  if (o.configHash !== undefined) status.configHash = o.configHash;
  if (o.classGeneration !== undefined) status.classGeneration = o.classGeneration;
  const r = rollout(o.deployment, o.replicas);
  status.ready = `${r.available}/${o.replicas}`;
  const applied = commonAppliedHash(o.pods, o.replicas) ?? o.previous?.appliedConfigHash;
  if (applied !== undefined) status.appliedConfigHash = applied;

  if (r.available > 0) {
    ready.push({ type: 'Ready', status: 'True', reason: 'Available', message: `${r.available} of ${o.replicas} replicas serve ${o.address ?? ''}` });
  } else {
    ready.push({ type: 'Ready', status: 'False', reason: 'NoReplicaAvailable', message: `no replica serves ${o.address ?? ''} yet: ${r.message}` });
  }

  const stale = o.pods.filter((p) => p.applied !== undefined && p.applied !== o.configHash);
  if (!r.done) {
    conds.push({ type: 'Progressing', status: 'True', reason: 'RollingOut', message: r.message });
  } else if (stale.length > 0) {
    conds.push({
      type: 'Progressing',
      status: 'True',
      reason: 'ApplyingConfiguration',
      message: `${stale.length} of ${o.pods.length} replicas still run an older configuration (${stale.map((p) => p.name).sort().join(', ')})`,
    });
  } else if (o.queuedBehind !== undefined) {
    conds.push({
      type: 'Progressing',
      status: 'False',
      reason: 'RolloutQueued',
      message: `LoadBalancerClass "${o.queuedBehind.className}" generation ${o.queuedBehind.generation} is rolling out in batches; this load balancer keeps its current settings until its batch starts`,
    });
  } else {
    conds.push({ type: 'Progressing', status: 'False', reason: 'UpToDate', message: 'every replica runs the newest pod template' });
  }

  const rejected = o.pods.filter((p) => p.rejected !== undefined && p.rejected !== '');
  if (rejected.length > 0) {
    const first = rejected[0];
    conds.push({
      type: 'Degraded',
      status: 'True',
      reason: 'ConfigurationRejected',
      message: `HAProxy refused the newest configuration on ${rejected.length} replica(s) and keeps serving the previous one (${first?.name}: ${first?.rejected}); fix the spec`,
    });
  } else if (o.warnings.length > 0) {
    conds.push({ type: 'Degraded', status: 'True', reason: 'MembersUnresolved', message: o.warnings.join('; ') });
  } else if (r.done && r.available < o.replicas) {
    conds.push({ type: 'Degraded', status: 'True', reason: 'ReplicasUnavailable', message: `${r.available} of ${o.replicas} replicas are available` });
  } else {
    conds.push({ type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'nothing needs attention' });
  }
  // Kept once reached, so the class's rollout counts this LB as updated through a later blip
  // (a drained node) instead of as a failed update.
  const settled = r.available > 0 && r.done && stale.length === 0;
  const settledClassGeneration = settled && o.classGeneration !== undefined ? o.classGeneration : o.previous?.settledClassGeneration;
  if (settledClassGeneration !== undefined) status.settledClassGeneration = settledClassGeneration;
  status.conditions = mergeConditions(o.previous?.conditions, [...ready, ...conds], o.generation, o.now);
  return status;
}

/** Whether two statuses say the same (what a write would change). */
export function sameStatus(a: LoadBalancerStatus | undefined, b: LoadBalancerStatus): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

function normalise(s: LoadBalancerStatus | undefined): unknown {
  if (s === undefined) return undefined;
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sortKeys) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)])) : v;
  const conditions = [...(s.conditions ?? [])].sort((a: Condition, b: Condition) => (a.type < b.type ? -1 : 1));
  return sortKeys({ ...s, conditions });
}
