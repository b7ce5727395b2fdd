// The class status of a fleet rollout at the size the product targets, by value: 100,000
// synthetic load balancers through the rollout gate and the class status, with no server. A
// batch of 5% is 5,000 load balancers; the status must still pass the CRD schema (the same zod
// schema the CRD is generated from), stay a few KiB, and keep every condition message under the
// 32768 characters of metav1.Condition while still naming some load balancers for the reader.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStore } from '@tugboat/runtime';
import type { LoadBalancer } from '../src/api/loadbalancer.js';
import { builtinClassSpec, loadBalancerClassStatusSchema, type LoadBalancerClass } from '../src/api/loadbalancerclass.js';
import { lbIndexes } from '../src/controllers/caches.js';
import { classStatus, sampleList, type ClassStatus } from '../src/controllers/classstatus.js';
import { classChangeTargets } from '../src/controllers/loadbalancer.js';
import { isAdmitted, planRollout, type RolloutDecision, type RolloutMember, type RolloutState } from '../src/controllers/rollout.js';

const fleetSize = 100_000;
const policy = builtinClassSpec.rollout; // maxUpdating 5%, batchPause 30s, maxFailurePercent 5, progressDeadline 10m
const t0 = Date.parse('2026-01-01T00:00:00Z');
const messageLimit = 32768;

/** `tenant-0042/lb-012345`: 1,000 tenants, in an order that differs from creation order. */
function key(i: number): string {
  return `tenant-${String(i % 1000).padStart(4, '0')}/lb-${String(i).padStart(6, '0')}`;
}

function fleet(n: number, gen: number, keyOf: (i: number) => string = key): RolloutMember[] {
  return Array.from({ length: n }, (_, i) => ({ key: keyOf(i), generation: gen, settled: true, settledGeneration: gen }));
}

/** The keys that sort first, as the status samples them. */
function firstKeys(members: readonly RolloutMember[], n: number): string[] {
  return members
    .map((m) => m.key)
    .sort()
    .slice(0, n);
}

function statusOf(d: RolloutDecision, generation: number, previous?: ClassStatus): ClassStatus {
  return classStatus({ decision: d, generation, previous: previous?.conditions, now: new Date(t0).toISOString() });
}

function assertBounded(s: ClassStatus): void {
  const parsed = loadBalancerClassStatusSchema.safeParse(s);
  assert.ok(parsed.success, parsed.success ? '' : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  for (const c of s.conditions ?? []) assert.ok(c.message.length <= messageLimit, `${c.type} message is ${c.message.length} characters`);
  const bytes = JSON.stringify(s).length;
  assert.ok(bytes < 16 * 1024, `status is ${bytes} bytes`);
}

function message(s: ClassStatus, type: string): string {
  return s.conditions?.find((c) => c.type === type)?.message ?? '';
}

/** Admitted members take the new generation; `settles` says which of them become ready on it. */
function advance(members: RolloutMember[], state: RolloutState, gen: number, settles: (k: string) => boolean = () => true): RolloutMember[] {
  return members.map((m) => {
    if (!isAdmitted(state, gen, m.key) || m.settledGeneration === gen) return m;
    const ok = settles(m.key);
    return { ...m, generation: gen, settled: ok, settledGeneration: ok ? gen : m.settledGeneration };
  });
}

describe('class status of a 100,000 load balancer rollout', () => {
  it('admits 5% at once and writes a status the CRD accepts, with ten names and a count', () => {
    const members = fleet(fleetSize, 1);
    const d = planRollout({ generation: 2, policy, members, previous: undefined, now: t0 });
    assert.equal(d.batch.length, 5000);
    assert.equal(d.pending, 95_000);
    assert.equal(members.filter((m) => isAdmitted(d.state, 2, m.key)).length, 5000, 'the cursor admits exactly the batch');

    const s = statusOf(d, 2);
    assertBounded(s);
    const first = firstKeys(members, 10);
    assert.equal(s.rollout?.admittedThrough, firstKeys(members, 5000)[4999]);
    assert.equal(s.rollout?.batchAfter, undefined);
    assert.deepEqual([s.rollout?.updating, s.rollout?.pending, s.loadBalancers, s.updated, s.failed], [5000, 95_000, 100_000, 0, 0]);
    assert.deepEqual(s.rollout?.updatingSample, first);
    assert.deepEqual(s.rollout?.failedSample, []);
    assert.equal(message(s, 'Progressing'), `0 of 100,000 load balancers run generation 2; updating 5,000 (${first.join(', ')} and 4,990 more); 95,000 waiting`);
    assert.equal(message(s, 'Degraded'), 'no updated load balancer failed');
  });

  it('walks the fleet through 20 batches, never more than 5,000 updating, every status within bounds', () => {
    let members = fleet(fleetSize, 1);
    let prev: RolloutState | undefined;
    let status: ClassStatus | undefined;
    let now = t0;
    let batches = 0;
    for (let step = 0; step < 100; step++) {
      const d = planRollout({ generation: 2, policy, members, previous: prev, now });
      status = statusOf(d, 2, status);
      assertBounded(status);
      const updating = members.filter((m) => isAdmitted(d.state, 2, m.key) && m.settledGeneration !== 2).length;
      assert.ok(updating <= 5000, `step ${step}: ${updating} admitted and not updated`);
      if (d.state.batchStartedAt !== undefined && d.state.batchStartedAt !== prev?.batchStartedAt) batches++;
      prev = d.state;
      if (d.phase === 'Complete') break;
      members = advance(members, d.state, 2);
      now += d.requeueAfterMs !== undefined && d.phase === 'Pausing' ? d.requeueAfterMs : 1000;
    }
    assert.equal(batches, 20);
    assert.equal(status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'RolloutComplete');
    assert.equal(message(status ?? {}, 'Progressing'), '100,000 of 100,000 load balancers run generation 2');
    assert.deepEqual([status?.updated, status?.failed, status?.rollout?.updating, status?.rollout?.pending], [100_000, 0, 0, 0]);
  });

  it('halts when 300 of a 5,000 batch fail, naming ten and counting the rest', () => {
    let members = fleet(fleetSize, 1);
    const d1 = planRollout({ generation: 2, policy, members, previous: undefined, now: t0 });
    const batch = new Set(d1.batch);
    const failing = new Set(d1.batch.slice(0, 300));
    members = advance(members, d1.state, 2, (k) => !failing.has(k));
    assert.equal(members.filter((m) => batch.has(m.key) && m.generation === 2).length, 5000);

    const before = planRollout({ generation: 2, policy, members, previous: d1.state, now: t0 + 599_999 });
    assert.deepEqual([before.phase, before.failed, before.updating.length], ['Progressing', 0, 300], 'still within progressDeadline');
    const d = planRollout({ generation: 2, policy, members, previous: before.state, now: t0 + 600_000 });
    assert.equal(d.phase, 'Halted', '300 of 5,000 finished is 6%, more than 5%');
    const s = statusOf(d, 2);
    assertBounded(s);
    const named = [...failing].sort().slice(0, 10);
    assert.deepEqual([s.failed, s.updated, s.rollout?.halted, s.rollout?.updating], [300, 4700, true, 0]);
    assert.deepEqual(s.rollout?.failedSample, named);
    assert.equal(
      message(s, 'Degraded'),
      `300 updated load balancer(s) did not become ready within rollout.progressDeadline (${named.join(', ')} and 290 more), more than rollout.maxFailurePercent allows; the rollout stopped. Fix the cause (kubectl describe lb), then edit this class to start a new rollout; the rest show CLASS-GEN 2 and an older SETTLED-GEN in kubectl get lb -A -o wide`,
    );
    assert.equal(message(s, 'Progressing'), '4,700 of 100,000 load balancers run generation 2; 95,000 not updated');

    const later = planRollout({ generation: 2, policy, members, previous: d.state, now: t0 + 3_600_000 });
    assert.equal(later.state.admittedThrough, d1.state.admittedThrough, 'a halted rollout admits nobody else');
  });

  it('stays within bounds when all 100,000 fail at once under names of the longest kind', () => {
    // 63-character namespaces and 253-character names: 317-character keys, the schema's maximum.
    const longKey = (i: number) => `${'n'.repeat(57)}-${String(i % 1000).padStart(5, '0')}/${'l'.repeat(246)}-${String(i).padStart(6, '0')}`;
    assert.equal(longKey(0).length, 317);
    let members = fleet(fleetSize, 1, longKey);
    const everything = { ...policy, maxUpdating: '100%', maxFailurePercent: 100 };
    const d1 = planRollout({ generation: 2, policy: everything, members, previous: undefined, now: t0 });
    members = advance(members, d1.state, 2, () => false);
    const running = statusOf(d1, 2);
    assertBounded(running);
    const d = planRollout({ generation: 2, policy: everything, members, previous: d1.state, now: t0 + 600_000 });
    assert.deepEqual([d.phase, d.failed], ['Complete', 100_000], '100% tolerated: nothing left to admit');
    const s = statusOf(d, 2, running);
    assertBounded(s);
    assert.match(message(s, 'Degraded'), /^100,000 updated load balancer\(s\) did not become ready within rollout\.progressDeadline: .* and 99,990 more; the rest show/);
  });

  it('counts a load balancer that settled and then blipped as updated, and ignores new ones in an admitted range', () => {
    let members = fleet(fleetSize, 1);
    const d1 = planRollout({ generation: 2, policy, members, previous: undefined, now: t0 });
    members = advance(members, d1.state, 2);
    const [blipping] = d1.batch;
    // After settling on 2, one loses its replicas (a drained node); a new LB lands inside the
    // admitted range with nothing ready yet.
    members = members.map((m) => (m.key === blipping ? { ...m, settled: false } : m));
    const newcomer = `${d1.batch[0] ?? ''}-new`;
    members.push({ key: newcomer, generation: 2, settled: false });
    assert.ok(isAdmitted(d1.state, 2, newcomer));
    const d = planRollout({ generation: 2, policy, members, previous: d1.state, now: t0 + 1000 });
    assert.deepEqual([d.failed, d.updated, d.phase], [0, 5000, 'Pausing'], 'neither holds the batch open');
    const later = planRollout({ generation: 2, policy, members, previous: d.state, now: t0 + 600_000 });
    assert.deepEqual([later.failed, later.updated], [0, 5000], 'nor counts as failed once the batch is over');
  });

  it('wakes only the load balancers whose admission changed', () => {
    const store = createStore<LoadBalancer>();
    store.addIndex(lbIndexes.byClass, (lb) => [lb.spec.className]);
    for (let i = 0; i < fleetSize; i++) {
      const [namespace, name] = key(i).split('/');
      store.upsert({ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancer', metadata: { namespace, name }, spec: { className: 'default' } } as unknown as LoadBalancer);
    }
    const members = fleet(fleetSize, 1);
    const d1 = planRollout({ generation: 2, policy, members, previous: undefined, now: t0 });
    const cls = (rollout: ClassStatus['rollout'] | undefined, generation = 2): LoadBalancerClass =>
      ({ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancerClass', metadata: { name: 'default', generation }, spec: builtinClassSpec, status: rollout ? { rollout } : {} }) as LoadBalancerClass;
    const s1 = statusOf(d1, 2).rollout;
    assert.ok(s1);
    assert.equal(classChangeTargets(store, cls(undefined, 1), cls(undefined)).length, fleetSize, 'a new generation wakes the whole class');
    assert.deepEqual(new Set(classChangeTargets(store, cls(undefined), cls(s1))), new Set(d1.batch), 'the first batch wakes its 5,000');
    assert.deepEqual(classChangeTargets(store, cls(s1), cls({ ...s1, updating: 10 })), [], 'counts alone wake nobody');
    const moved = advance(members, d1.state, 2);
    const ended = planRollout({ generation: 2, policy, members: moved, previous: d1.state, now: t0 + 1000 });
    const d2 = planRollout({ generation: 2, policy, members: moved, previous: ended.state, now: t0 + 31_000 });
    assert.equal(d2.phase, 'Progressing');
    const woken = classChangeTargets(store, cls(statusOf(ended, 2).rollout), cls(statusOf(d2, 2).rollout));
    assert.deepEqual(new Set(woken), new Set(d2.batch), 'the next batch wakes its own 5,000 only');
    assert.equal(woken.length, 5000);
  });
});

describe('sampleList', () => {
  it('names at most ten and counts the rest', () => {
    assert.equal(sampleList([]), '');
    assert.equal(sampleList(['a', 'b']), 'a, b');
    const twelve = Array.from({ length: 12 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    assert.equal(sampleList(twelve), 'k00, k01, k02, k03, k04, k05, k06, k07, k08, k09 and 2 more');
    assert.equal(sampleList(Array.from({ length: 12_345 }, (_, i) => `k${i}`), 2), 'k0, k1 and 12,343 more');
  });
});
