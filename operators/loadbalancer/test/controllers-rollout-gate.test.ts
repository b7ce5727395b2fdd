// The rollout gate by value: batches of at most maxUpdating, a pause between batches, failures
// after progressDeadline, a halt when failures exceed the ratio, a fresh start on a new class
// generation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchSize, isAdmitted, planRollout, type RolloutMember, type RolloutPolicyInput, type RolloutState } from '../src/controllers/rollout.js';

const policy: RolloutPolicyInput = { maxUpdating: '2', batchPause: '10s', maxFailurePercent: 20, progressDeadline: '60s' };
const t0 = Date.parse('2026-01-01T00:00:00Z');

function members(n: number, gen: number, settled = true): RolloutMember[] {
  return Array.from({ length: n }, (_, i) => ({ key: `ns/lb-${String(i).padStart(2, '0')}`, generation: gen, settled, settledGeneration: settled ? gen : undefined }));
}

function withMember(ms: RolloutMember[], key: string, m: Partial<RolloutMember>): RolloutMember[] {
  return ms.map((x) => (x.key === key ? { ...x, ...m } : x));
}

describe('rollout gate', () => {
  it('sizes batches by count or by percentage of the class, at least one', () => {
    assert.equal(batchSize('2', 10), 2);
    assert.equal(batchSize('5%', 100), 5);
    assert.equal(batchSize('5%', 10), 1);
    assert.equal(batchSize('25%', 10), 3);
    assert.equal(batchSize('0', 10), 1);
    assert.throws(() => batchSize('two', 10), /neither a count nor a percentage/);
  });

  it('admits the first batch at once, in key order, and nothing else', () => {
    const d = planRollout({ generation: 2, policy, members: members(5, 1), previous: undefined, now: t0 });
    assert.deepEqual(d.batch, ['ns/lb-00', 'ns/lb-01']);
    assert.equal(d.phase, 'Progressing');
    assert.equal(d.pending, 3);
    assert.equal(d.updated, 0);
    assert.equal(d.requeueAfterMs, 60_001);
    assert.ok(isAdmitted(d.state, 2, 'ns/lb-00'));
    assert.ok(!isAdmitted(d.state, 2, 'ns/lb-02'));
    assert.ok(!isAdmitted(d.state, 3, 'ns/lb-00'), 'admission is for one generation only');
  });

  it('keeps the batch while its members progress, then pauses, then admits the next batch', () => {
    let ms = members(5, 1);
    let d = planRollout({ generation: 2, policy, members: ms, previous: undefined, now: t0 });
    ms = withMember(ms, 'ns/lb-00', { generation: 2, settled: false });
    ms = withMember(ms, 'ns/lb-01', { generation: 2, settled: true });
    d = planRollout({ generation: 2, policy, members: ms, previous: d.state, now: t0 + 5_000 });
    assert.deepEqual(d.batch, ['ns/lb-00', 'ns/lb-01'], 'lb-00 still progressing');
    assert.deepEqual(d.updating, ['ns/lb-00']);
    assert.equal(d.updated, 1);

    ms = withMember(ms, 'ns/lb-00', { settled: true });
    d = planRollout({ generation: 2, policy, members: ms, previous: d.state, now: t0 + 6_000 });
    assert.deepEqual(d.batch, []);
    assert.equal(d.phase, 'Pausing');
    assert.equal(d.requeueAfterMs, 10_000);
    assert.equal(d.state.lastBatchFinishedAt, new Date(t0 + 6_000).toISOString());

    d = planRollout({ generation: 2, policy, members: ms, previous: d.state, now: t0 + 15_999 });
    assert.deepEqual(d.batch, [], 'still pausing');
    d = planRollout({ generation: 2, policy, members: ms, previous: d.state, now: t0 + 16_000 });
    assert.deepEqual(d.batch, ['ns/lb-02', 'ns/lb-03']);
    assert.equal(d.updated, 2);
  });

  it('never holds more than maxUpdating members, whatever the states', () => {
    let ms = members(10, 1);
    let state: RolloutState | undefined;
    for (let step = 0; step < 40; step++) {
      const d = planRollout({ generation: 2, policy: { ...policy, batchPause: '1ms' }, members: ms, previous: state, now: t0 + step * 1000 });
      state = d.state;
      assert.ok(d.batch.length <= 2);
      const updating = ms.filter((m) => isAdmitted(state, 2, m.key) && !(m.generation === 2 && m.settled));
      assert.ok(updating.length <= 2, `admitted and not settled: ${updating.map((m) => m.key).join(', ')}`);
      // Admitted members finish one step later.
      ms = ms.map((m) => (isAdmitted(state, 2, m.key) && !(m.generation === 2 && m.settled) ? { ...m, generation: 2, settled: step % 2 === 1 } : m));
    }
    const done = planRollout({ generation: 2, policy, members: ms, previous: state, now: t0 + 100_000 });
    assert.equal(done.phase, 'Complete');
    assert.equal(done.updated, 10);
  });

  it('counts a member that overruns progressDeadline as failed and halts above the ratio', () => {
    let ms = members(10, 1);
    let d = planRollout({ generation: 2, policy, members: ms, previous: undefined, now: t0 });
    ms = withMember(ms, 'ns/lb-00', { generation: 2, settled: true });
    ms = withMember(ms, 'ns/lb-01', { generation: 2, settled: false });
    d = planRollout({ generation: 2, policy, members: ms, previous: d.state, now: t0 + 59_999 });
    assert.equal(d.failed, 0);
    d = planRollout({ generation: 2, policy, members: ms, previous: d.state, now: t0 + 60_000 });
    assert.deepEqual(d.failedLoadBalancers, ['ns/lb-01']);
    // 1 failed of 2 finished = 50% > 20%.
    assert.equal(d.phase, 'Halted');
    assert.ok(d.state.halted);
    assert.equal(d.requeueAfterMs, undefined);
    d = planRollout({ generation: 2, policy, members: ms, previous: d.state, now: t0 + 3_600_000 });
    assert.deepEqual(d.batch, [], 'a halted rollout admits nobody');
    assert.equal(d.state.admittedThrough, 'ns/lb-01');
    assert.ok(!isAdmitted(d.state, 2, 'ns/lb-02'));
    assert.equal(d.phase, 'Halted');
  });

  it('tolerates failures within the ratio', () => {
    let ms = members(10, 1);
    const lenient = { ...policy, maxFailurePercent: 50, batchPause: '1ms' };
    let d = planRollout({ generation: 2, policy: lenient, members: ms, previous: undefined, now: t0 });
    ms = withMember(ms, 'ns/lb-00', { generation: 2, settled: true });
    ms = withMember(ms, 'ns/lb-01', { generation: 2, settled: false });
    d = planRollout({ generation: 2, policy: lenient, members: ms, previous: d.state, now: t0 + 60_000 });
    const state = d.state;
    assert.equal(d.failed, 1);
    assert.ok(!state.halted);
    d = planRollout({ generation: 2, policy: lenient, members: ms, previous: state, now: t0 + 61_000 });
    assert.deepEqual(d.batch, ['ns/lb-02', 'ns/lb-03']);
  });

  it('forgets a failure once the member becomes ready on the new generation', () => {
    // lb-01 was admitted and failed; it is ready on generation 2 now.
    const prev: RolloutState = { generation: 2, admittedThrough: 'ns/lb-01', halted: false, lastBatchFinishedAt: new Date(t0).toISOString() };
    const ms = withMember(members(3, 2), 'ns/lb-02', { generation: 1 });
    const d = planRollout({ generation: 2, policy: { ...policy, maxFailurePercent: 100 }, members: ms, previous: prev, now: t0 + 1 });
    assert.deepEqual(d.failedLoadBalancers, []);
    assert.equal(d.updated, 2);
  });

  it('starts over when the class changes again, and lets new load balancers deploy directly', () => {
    const prev: RolloutState = { generation: 2, admittedThrough: 'ns/lb-05', batchAfter: 'ns/lb-04', batchStartedAt: new Date(t0).toISOString(), halted: true };
    const ms = [...members(6, 2), { key: 'ns/new', generation: undefined, settled: false }];
    const d = planRollout({ generation: 3, policy, members: ms, previous: prev, now: t0 + 1 });
    assert.equal(d.state.generation, 3);
    assert.ok(!d.state.halted);
    assert.deepEqual(d.failedLoadBalancers, []);
    assert.deepEqual(d.batch, ['ns/lb-00', 'ns/lb-01']);
    assert.equal(d.pending, 4, 'the new LB is not pending: it has nothing deployed to hold back');
  });

  it('ends a batch whose members were all deleted', () => {
    // The batch was ns/gone alone ('ns/gone' sorts before 'ns/lb-00').
    const prev: RolloutState = { generation: 2, admittedThrough: 'ns/gone', batchStartedAt: new Date(t0).toISOString(), halted: false };
    const d = planRollout({ generation: 2, policy, members: members(2, 1), previous: prev, now: t0 + 1000 });
    assert.deepEqual(d.batch, []);
    assert.equal(d.phase, 'Pausing');
  });
});
