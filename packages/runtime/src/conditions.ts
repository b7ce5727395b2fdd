// Status conditions with metav1.Condition semantics (apimachinery's meta.SetStatusCondition):
//  - lastTransitionTime changes only when `status` changes, so it answers "since when has this
//    been false?" — rewriting it on every reconcile would also turn each resync into a write;
//  - reason, message and observedGeneration are refreshed every time;
//  - one entry per type, order kept.
// The functions are pure: they return new arrays and never touch their inputs, because objects
// read from the cache are frozen and shared.
import type { Condition } from './kinds.js';

export type ConditionStatus = Condition['status'];

/** A condition as a reconciler states it; lastTransitionTime is filled in when it changes. */
export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message?: string;
  observedGeneration?: number;
  /** Normally left out; set it to carry a transition time over from somewhere else. */
  lastTransitionTime?: string;
}

/** RFC 3339 with seconds precision, as metav1.Time serializes. */
export function conditionTime(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

export function isConditionFalse(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'False';
}

/**
 * `conditions` with `input` set: added if its type is new, else updated in place, keeping the
 * old lastTransitionTime unless the status changed.
 */
export function setCondition(conditions: readonly Condition[] | undefined, input: ConditionInput, now: Date = new Date()): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === input.type);
  const existing = i >= 0 ? list[i] : undefined;
  const transitioned = existing === undefined || existing.status !== input.status;
  const next: Condition = {
    type: input.type,
    status: input.status,
    observedGeneration: input.observedGeneration ?? existing?.observedGeneration,
    lastTransitionTime: transitioned ? (input.lastTransitionTime ?? conditionTime(now)) : (existing.lastTransitionTime ?? conditionTime(now)),
    reason: input.reason,
    message: input.message ?? '',
  };
  if (next.observedGeneration === undefined) delete next.observedGeneration;
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

/** Sets several conditions in order (same semantics as setCondition for each). */
export function setConditions(conditions: readonly Condition[] | undefined, inputs: readonly ConditionInput[], now: Date = new Date()): Condition[] {
  return inputs.reduce<Condition[]>((acc, c) => setCondition(acc, c, now), [...(conditions ?? [])]);
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/**
 * True when the condition of `type` is present, has `status`, and was observed at
 * `generation` (i.e. it describes the current spec, not an older one).
 */
export function isConditionCurrent(
  conditions: readonly Condition[] | undefined,
  type: string,
  status: ConditionStatus,
  generation: number | undefined,
): boolean {
  const c = findCondition(conditions, type);
  return c !== undefined && c.status === status && (generation === undefined || c.observedGeneration === generation);
}
