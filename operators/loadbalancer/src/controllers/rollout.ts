// The rollout gate: when a LoadBalancerClass changes (new HAProxy image, new tuning), which of
// its load balancers may take the change now. Pure: it sees the class generation, the policy,
// each member's state and the previous decision, and returns the next decision. The class
// controller persists that decision in the class status; the load-balancer controller only
// reads it ("is my key in the current batch?"). One writer per class, so concurrent LB
// reconciles can never admit more than the policy allows.
//
// The rollout goes in batches: a batch of at most maxUpdating load balancers is admitted; it is
// finished when each member is ready on the new generation or has overrun progressDeadline
// (failed); after batchPause the next batch starts. When failed members exceed
// maxFailurePercent of the members that finished, the rollout halts until the class changes
// again (any edit is a new generation and a fresh rollout).
import { durationMs } from '../api/formats.js';

export interface RolloutPolicyInput {
  /** A count ("10") or a percentage of the class's load balancers ("5%"). */
  maxUpdating: string;
  batchPause: string;
  maxFailurePercent: number;
  progressDeadline: string;
}

export interface RolloutMember {
  /** `namespace/name` of the load balancer. */
  key: string;
  /** Class generation the LB's workload runs, undefined when nothing is deployed yet. */
  generation: number | undefined;
  /** Ready and no longer progressing at `generation`. */
  settled: boolean;
}

export interface RolloutState {
  generation: number;
  /** Keys admitted in the running batch. */
  batch: string[];
  batchStartedAt?: string | undefined;
  lastBatchFinishedAt?: string | undefined;
  failedLoadBalancers: string[];
  halted: boolean;
}

export type RolloutPhase = 'Complete' | 'Progressing' | 'Pausing' | 'Halted';

export interface RolloutDecision {
  state: RolloutState;
  phase: RolloutPhase;
  total: number;
  /** Members settled on the class's generation. */
  updated: number;
  failed: number;
  /** Members still to be admitted. */
  pending: number;
  /** When to look again (pause end, deadline), if nothing else happens first. */
  requeueAfterMs?: number;
}

/** How many members a batch may hold: a count, or a percentage of `total` rounded up; at least 1. */
export function batchSize(maxUpdating: string, total: number): number {
  const m = /^([0-9]+)(%?)$/.exec(maxUpdating);
  if (!m) throw new RangeError(`maxUpdating "${maxUpdating}" is neither a count nor a percentage`);
  const n = Number(m[1]);
  const size = m[2] === '%' ? Math.ceil((n * total) / 100) : n;
  return Math.max(1, size);
}

function ms(text: string): number {
  const v = durationMs(text);
  if (v === undefined) throw new RangeError(`"${text}" is not a duration`);
  return v;
}

/** Whether the member `key` may run class generation `generation` now. */
export function isAdmitted(state: RolloutState | undefined, generation: number, key: string): boolean {
  return state !== undefined && state.generation === generation && state.batch.includes(key);
}

export function planRollout(input: {
  generation: number;
  policy: RolloutPolicyInput;
  members: readonly RolloutMember[];
  previous: RolloutState | undefined;
  now: number;
}): RolloutDecision {
  const { generation: g, policy, now } = input;
  const byKey = new Map(input.members.map((m) => [m.key, m]));
  const prev = input.previous?.generation === g ? input.previous : undefined;
  const onNew = (m: RolloutMember | undefined) => m !== undefined && m.generation === g && m.settled;

  // A member that failed and later became ready on the new generation no longer counts as failed;
  // one that was deleted no longer counts at all.
  const failed = new Set((prev?.failedLoadBalancers ?? []).filter((k) => byKey.has(k) && !onNew(byKey.get(k))));
  let batch = (prev?.batch ?? []).filter((k) => byKey.has(k));
  let batchStartedAt = prev?.batchStartedAt;
  let lastBatchFinishedAt = prev?.lastBatchFinishedAt;
  const deadline = ms(policy.progressDeadline);
  const startedMs = batchStartedAt !== undefined ? Date.parse(batchStartedAt) : now;

  const running: string[] = [];
  for (const k of batch) {
    if (onNew(byKey.get(k))) continue;
    if (now - startedMs >= deadline) failed.add(k);
    else running.push(k);
  }
  if (batch.length > 0 && running.length === 0) {
    batch = [];
    batchStartedAt = undefined;
    lastBatchFinishedAt = new Date(now).toISOString();
  } else if (batch.length === 0 && (prev?.batch.length ?? 0) > 0) {
    // Every member of the batch was deleted: it is over.
    batchStartedAt = undefined;
    lastBatchFinishedAt = new Date(now).toISOString();
  }

  const updated = input.members.filter((m) => onNew(m) && !failed.has(m.key)).length;
  const halted = (prev?.halted ?? false) || (failed.size > 0 && failed.size * 100 > policy.maxFailurePercent * (updated + failed.size));
  const inBatch = new Set(batch);
  // Members with nothing deployed yet take the current generation directly: nothing runs to break.
  const pending = input.members
    .filter((m) => m.generation !== undefined && m.generation !== g && !failed.has(m.key) && !inBatch.has(m.key))
    .map((m) => m.key)
    .sort();

  let requeueAfterMs: number | undefined;
  if (!halted && batch.length === 0 && pending.length > 0) {
    const pauseEnd = lastBatchFinishedAt !== undefined ? Date.parse(lastBatchFinishedAt) + ms(policy.batchPause) : now;
    if (now >= pauseEnd) {
      batch = pending.slice(0, batchSize(policy.maxUpdating, input.members.length));
      batchStartedAt = new Date(now).toISOString();
    } else {
      requeueAfterMs = pauseEnd - now;
    }
  }
  if (batch.length > 0 && batchStartedAt !== undefined) {
    requeueAfterMs = Math.max(0, Date.parse(batchStartedAt) + deadline - now) + 1;
  }

  const admitted = new Set(batch);
  const state: RolloutState = {
    generation: g,
    batch,
    batchStartedAt,
    lastBatchFinishedAt,
    failedLoadBalancers: [...failed].sort(),
    halted,
  };
  const phase: RolloutPhase = halted ? 'Halted' : batch.length > 0 ? 'Progressing' : pending.length > 0 ? 'Pausing' : 'Complete';
  const decision: RolloutDecision = {
    state,
    phase,
    total: input.members.length,
    updated,
    failed: failed.size,
    pending: pending.filter((k) => !admitted.has(k)).length,
  };
  if (requeueAfterMs !== undefined && !halted) decision.requeueAfterMs = requeueAfterMs;
  return decision;
}
