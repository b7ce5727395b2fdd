import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  conditionTime,
  findCondition,
  isConditionCurrent,
  isConditionFalse,
  isConditionTrue,
  removeCondition,
  setCondition,
  setConditions,
} from '../src/conditions.js';
import type { Condition } from '../src/kinds.js';

const t0 = new Date('2026-01-02T03:04:05.678Z');
const t1 = new Date('2026-01-02T04:00:00.000Z');

describe('conditions', () => {
  it('adds a new condition with the transition time set to now (seconds precision)', () => {
    const out = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Provisioning', message: 'waiting for the address', observedGeneration: 3 }, t0);
    assert.deepEqual(out, [
      { type: 'Ready', status: 'False', observedGeneration: 3, lastTransitionTime: '2026-01-02T03:04:05Z', reason: 'Provisioning', message: 'waiting for the address' },
    ]);
  });

  it('keeps lastTransitionTime when only reason, message or generation change', () => {
    const a = setCondition([], { type: 'Ready', status: 'False', reason: 'A', message: 'm1', observedGeneration: 1 }, t0);
    const b = setCondition(a, { type: 'Ready', status: 'False', reason: 'B', message: 'm2', observedGeneration: 2 }, t1);
    assert.equal(b[0]?.lastTransitionTime, '2026-01-02T03:04:05Z');
    assert.equal(b[0]?.reason, 'B');
    assert.equal(b[0]?.message, 'm2');
    assert.equal(b[0]?.observedGeneration, 2);
  });

  it('moves lastTransitionTime when status changes', () => {
    const a = setCondition([], { type: 'Ready', status: 'False', reason: 'A' }, t0);
    const b = setCondition(a, { type: 'Ready', status: 'True', reason: 'Ready' }, t1);
    assert.equal(b[0]?.lastTransitionTime, '2026-01-02T04:00:00Z');
    assert.equal(b[0]?.status, 'True');
  });

  it('setting the same condition again is a fixed point (no spurious status write)', () => {
    const input = { type: 'Ready', status: 'True' as const, reason: 'Ready', message: 'ok', observedGeneration: 4 };
    const a = setCondition([], input, t0);
    const b = setCondition(a, input, t1);
    assert.deepEqual(b, a);
  });

  it('does not mutate its input and keeps other conditions and their order', () => {
    const before: Condition[] = [
      { type: 'Progressing', status: 'True', reason: 'X', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' },
      { type: 'Ready', status: 'False', reason: 'Y', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' },
    ];
    const frozen = Object.freeze(before.map((c) => Object.freeze({ ...c })));
    const out = setCondition(frozen, { type: 'Ready', status: 'True', reason: 'Done' }, t0);
    assert.deepEqual(out.map((c) => c.type), ['Progressing', 'Ready']);
    assert.equal(frozen[1]?.status, 'False');
    assert.equal(out[0], frozen[0], 'untouched entries are carried over as they are');
  });

  it('keeps observedGeneration when the input omits it', () => {
    const a = setCondition([], { type: 'Ready', status: 'True', reason: 'R', observedGeneration: 7 }, t0);
    const b = setCondition(a, { type: 'Ready', status: 'True', reason: 'R' }, t1);
    assert.equal(b[0]?.observedGeneration, 7);
    const c = setCondition([], { type: 'Degraded', status: 'False', reason: 'R' }, t0);
    assert.equal('observedGeneration' in (c[0] ?? {}), false);
  });

  it('sets several, finds, tests and removes', () => {
    const list = setConditions(
      undefined,
      [
        { type: 'Ready', status: 'True', reason: 'R', observedGeneration: 2 },
        { type: 'Degraded', status: 'False', reason: 'D', observedGeneration: 2 },
      ],
      t0,
    );
    assert.equal(findCondition(list, 'Degraded')?.reason, 'D');
    assert.equal(isConditionTrue(list, 'Ready'), true);
    assert.equal(isConditionFalse(list, 'Degraded'), true);
    assert.equal(isConditionTrue(list, 'Missing'), false);
    assert.equal(isConditionCurrent(list, 'Ready', 'True', 2), true);
    assert.equal(isConditionCurrent(list, 'Ready', 'True', 3), false, 'observed at an older generation');
    assert.deepEqual(removeCondition(list, 'Ready').map((c) => c.type), ['Degraded']);
  });

  it('formats metav1.Time without fractional seconds', () => {
    assert.equal(conditionTime(t0), '2026-01-02T03:04:05Z');
  });
});
