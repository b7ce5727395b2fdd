// The rollout gate: when a LoadBalancerClass changes (new HAProxy image, new tuning), which of
// its load balancers may take the change now. Pure: it sees the class generation, the policy,
// each member's state and the previous decision, and returns the next decision. The class
// controller persists that decision in the class status; the load-balancer controller only
// reads it ("is my key admitted?"). One writer per class, so concurrent LB reconciles can never
// admit more than the policy allows.
//
// The rollout goes in batches: a batch of at most maxUpdating load balancers is admitted; it is
// finished when each member is ready on the new generation or has overrun progressDeadline
// (failed); after batchPause the next batch starts. When failed members exceed
// maxFailurePercent of the members that finished, the rollout halts until the class changes
// again (any edit is a new generation and a fresh rollout).
//
// Admission is a cursor over the members in key order, not a list: every member whose key
// sorts at or before `admittedThrough` is admitted, and the running batch is the stretch of keys
// after `batchAfter`. So the decision is a few fields whatever the fleet size (a batch of 5% of
// 100,000 LBs is 5,000 names, more than one object's status may hold), and who is in a batch,
// updating or failed is recomputed from the members on every call, never stored. What must
// survive a member's later blip — that it did become ready on the new generation — is kept by
// each member itself (`settledGeneration`, in its own status).
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
  /** Ready and no longer progressing at `generation`, now. */
  settled: boolean;
  /** Newest class generation the LB has recorded being settled on, if any. */
  settledGeneration?: number | undefined;
}

export interface RolloutState {
  generation: number;
  /** Members whose key sorts at or before this one are admitted to `generation`. */
  admittedThrough?: string | undefined;
  /** The running batch holds the admitted members after this key; unset: from the first key. */
  batchAfter?: string | undefined;
  /** Set while a batch runs. */
  batchStartedAt?: string | undefined;
  lastBatchFinishedAt?: string | undefined;
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
  /** Members of the running batch, in key order (in memory only: the status keeps a sample). */
  batch: string[];
  /** Members of the running batch still updating, in key order. */
  updating: string[];
  /** Admitted members that did not become ready within progressDeadline, in key order. */
  failedLoadBalancers: string[];
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
export function isAdmitted(state: Pick<RolloutState, 'generation' | 'admittedThrough'> | undefined, generation: number, key: string): boolean {
  return state?.generation === generation && state.admittedThrough !== undefined && key <= state.admittedThrough;
}

/** The newest generation the member is known to have settled on. */
function lastSettled(m: RolloutMember): number | undefined {
  return m.settled && m.generation !== undefined ? m.generation : m.settledGeneration;
}

export function planRollout(input: {
  generation: number;
  policy: RolloutPolicyInput;
  members: readonly RolloutMember[];
  previous: RolloutState | undefined;
  now: number;
}): RolloutDecision {
  const { generation: g, policy, now } = input;
  const prev = input.previous?.generation === g ? input.previous : undefined;
  let admittedThrough = prev?.admittedThrough;
  let batchAfter = prev?.batchAfter;
  let batchStartedAt = admittedThrough !== undefined ? prev?.batchStartedAt : undefined;
  let lastBatchFinishedAt = prev?.lastBatchFinishedAt;
  const deadline = ms(policy.progressDeadline);
  const overdue = batchStartedAt !== undefined && now - Date.parse(batchStartedAt) >= deadline;
  const admitted = (k: string) => admittedThrough !== undefined && k <= admittedThrough;
  const inBatch = (k: string) => batchStartedAt !== undefined && admitted(k) && (batchAfter === undefined || k > batchAfter);

  let batch: string[] = [];
  let running: string[] = [];
  const failed: string[] = [];
  let pending: string[] = [];
  let updated = 0;
  for (const m of input.members) {
    if (lastSettled(m) === g) {
      // Settled once is updated for good: a later blip (a drained node) is not a failed update.
      updated++;
      if (inBatch(m.key)) batch.push(m.key);
    } else if (!admitted(m.key)) {
      // Members with nothing deployed yet take the current generation directly: nothing runs to break.
      if (m.generation !== undefined && m.generation !== g) pending.push(m.key);
    } else if (m.generation !== undefined && (m.generation !== g || lastSettled(m) !== undefined)) {
      // Only a member that ran something before can fail the update. One that has never been
      // ready is new (it took this generation directly) or was broken before the rollout: it
      // says nothing about the new generation, so it neither holds a batch open nor counts.
      if (inBatch(m.key)) batch.push(m.key);
      if (inBatch(m.key) && !overdue) running.push(m.key);
      else failed.push(m.key);
    }
  }

  // The batch is over when nobody in it is still updating, including when its members were deleted.
  if (batchStartedAt !== undefined && running.length === 0) {
    batch = [];
    batchAfter = undefined;
    batchStartedAt = undefined;
    lastBatchFinishedAt = new Date(now).toISOString();
  }

  const halted = (prev?.halted ?? false) || (failed.length > 0 && failed.length * 100 > policy.maxFailurePercent * (updated + failed.length));

  let requeueAfterMs: number | undefined;
  if (!halted && batchStartedAt === undefined && pending.length > 0) {
    const pauseEnd = lastBatchFinishedAt !== undefined ? Date.parse(lastBatchFinishedAt) + ms(policy.batchPause) : now;
    if (now >= pauseEnd) {
      pending.sort();
      const next = pending.slice(0, batchSize(policy.maxUpdating, input.members.length));
      batchAfter = admittedThrough;
      admittedThrough = next[next.length - 1];
      batchStartedAt = new Date(now).toISOString();
      batch = next;
      running = next;
      pending = pending.slice(next.length);
    } else {
      requeueAfterMs = pauseEnd - now;
    }
  }
  if (batchStartedAt !== undefined) {
    requeueAfterMs = Math.max(0, Date.parse(batchStartedAt) + deadline - now) + 1;
  }

  const state: RolloutState = { generation: g, halted };
  if (admittedThrough !== undefined) state.admittedThrough = admittedThrough;
  if (batchAfter !== undefined) state.batchAfter = batchAfter;
  if (batchStartedAt !== undefined) state.batchStartedAt = batchStartedAt;
  if (lastBatchFinishedAt !== undefined) state.lastBatchFinishedAt = lastBatchFinishedAt;
  const phase: RolloutPhase = halted ? 'Halted' : batchStartedAt !== undefined ? 'Progressing' : pending.length > 0 ? 'Pausing' : 'Complete';
  const decision: RolloutDecision = {
    state,
    phase,
    total: input.members.length,
    updated,
    failed: failed.length,
    pending: pending.length,
    batch: batch.sort(),
    updating: running.sort(),
    failedLoadBalancers: failed.sort(),
  };
  if (requeueAfterMs !== undefined && !halted) decision.requeueAfterMs = requeueAfterMs;
  return decision;
}
