// A LoadBalancerClass's status from a rollout decision. Pure, like lbstatus.ts: the same
// decision gives the same status, so an unchanged rollout makes no write.
//
// Bounded whatever the fleet size: counts, the admission cursor, and at most rolloutSampleSize
// names per list, in the status as in the condition messages ("a, b, … and 4,990 more"). A batch
// of 5% of 100,000 load balancers is 5,000 names; listing them would break the CRD's limits and
// the 32768 characters of a condition message, and the write that carries the decision with it.
import type { Condition } from '../api/condition.js';
import { rolloutSampleSize, type LoadBalancerClass } from '../api/loadbalancerclass.js';
import { mergeConditions } from './lbstatus.js';
import type { RolloutDecision } from './rollout.js';

export type ClassStatus = NonNullable<LoadBalancerClass['status']>;

interface ConditionText {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The first `limit` keys (already in key order), and how many more there are. */
export function sampleList(keys: readonly string[], limit: number = rolloutSampleSize): string {
  const shown = keys.slice(0, limit).join(', ');
  return keys.length > limit ? `${shown} and ${count(keys.length - limit)} more` : shown;
}

export function rolloutConditions(d: RolloutDecision, generation: number): { progressing: ConditionText; degraded: ConditionText } {
  const progress = `${count(d.updated)} of ${count(d.total)} load balancers run generation ${generation}`;
  const failedList = sampleList(d.failedLoadBalancers);
  // A person who sees "and N more" needs a way to the rest: a failed LB runs the new generation
  // (CLASS-GEN) but has not settled on it (SETTLED-GEN).
  const findRest = d.failed > rolloutSampleSize ? `; the rest show CLASS-GEN ${generation} and an older SETTLED-GEN in kubectl get lb -A -o wide` : '';
  const degraded: ConditionText =
    d.failed === 0
      ? { status: 'False', reason: 'AsExpected', message: 'no updated load balancer failed' }
      : d.phase === 'Halted'
        ? {
            status: 'True',
            reason: 'RolloutHalted',
            message: `${count(d.failed)} updated load balancer(s) did not become ready within rollout.progressDeadline (${failedList}), more than rollout.maxFailurePercent allows; the rollout stopped. Fix the cause (kubectl describe lb), then edit this class to start a new rollout${findRest}`,
          }
        : { status: 'True', reason: 'UpdatesFailed', message: `${count(d.failed)} updated load balancer(s) did not become ready within rollout.progressDeadline: ${failedList}${findRest}` };
  switch (d.phase) {
    case 'Complete':
      return { progressing: { status: 'False', reason: 'RolloutComplete', message: progress }, degraded };
    case 'Halted':
      return { progressing: { status: 'False', reason: 'RolloutHalted', message: `${progress}; ${count(d.pending)} not updated` }, degraded };
    case 'Pausing':
      return { progressing: { status: 'True', reason: 'BatchPause', message: `${progress}; ${count(d.pending)} waiting, next batch after rollout.batchPause` }, degraded };
    default:
      return {
        progressing: { status: 'True', reason: 'BatchInProgress', message: `${progress}; updating ${count(d.updating.length)} (${sampleList(d.updating)}); ${count(d.pending)} waiting` },
        degraded,
      };
  }
}

export function classStatus(input: { decision: RolloutDecision; generation: number; previous: readonly Condition[] | undefined; now: string }): ClassStatus {
  const { decision: d, generation } = input;
  const text = rolloutConditions(d, generation);
  const rollout: NonNullable<ClassStatus['rollout']> = {
    generation: d.state.generation,
    updating: d.updating.length,
    pending: d.pending,
    updatingSample: d.updating.slice(0, rolloutSampleSize),
    failedSample: d.failedLoadBalancers.slice(0, rolloutSampleSize),
    halted: d.state.halted,
  };
  if (d.state.admittedThrough !== undefined) rollout.admittedThrough = d.state.admittedThrough;
  if (d.state.batchAfter !== undefined) rollout.batchAfter = d.state.batchAfter;
  if (d.state.batchStartedAt !== undefined) rollout.batchStartedAt = d.state.batchStartedAt;
  if (d.state.lastBatchFinishedAt !== undefined) rollout.lastBatchFinishedAt = d.state.lastBatchFinishedAt;
  return {
    observedGeneration: generation,
    loadBalancers: d.total,
    updated: d.updated,
    failed: d.failed,
    rollout,
    conditions: mergeConditions(
      input.previous,
      [
        { type: 'Progressing', ...text.progressing },
        { type: 'Degraded', ...text.degraded },
      ],
      generation,
      input.now,
    ),
  };
}
