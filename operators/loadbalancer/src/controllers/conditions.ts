// Status conditions as the Kubernetes API conventions define them: one per type, and
// lastTransitionTime moves only when the status flips, so a reconcile that finds the same
// situation writes the same conditions (and therefore nothing at all).
import type { Condition } from '../api/condition.js';

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/** `next` with lastTransitionTime carried over from `previous` where the status did not change. */
export function mergeConditions(previous: readonly Condition[] | undefined, next: readonly ConditionInput[], generation: number, now: string): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = old !== undefined && old.status === c.status ? old.lastTransitionTime : now;
    return { type: c.type, status: c.status, observedGeneration: generation, lastTransitionTime, reason: c.reason, message: c.message };
  });
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}
