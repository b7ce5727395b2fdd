import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createRegistry } from '../src/metrics.js';
import { bucketRateLimiter, defaultControllerRateLimiter, exponentialFailureRateLimiter, maxOfRateLimiter } from '../src/ratelimiter.js';
import { createWorkQueue } from '../src/workqueue.js';

const quiet = { metrics: false as const };

describe('work queue', () => {
  it('hands out items in FIFO order and dedups items that are waiting', async () => {
    const q = createWorkQueue({ name: 'fifo', ...quiet });
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('c');
    q.add('b');
    assert.equal(q.len(), 3);
    assert.deepEqual([await q.get(), await q.get(), await q.get()], ['a', 'b', 'c']);
    assert.equal(q.len(), 0);
  });

  it('never hands the same item to two workers at once', async () => {
    const q = createWorkQueue({ name: 'exclusive', ...quiet });
    q.add('a');
    const first = await q.get();
    assert.equal(first, 'a');
    q.add('a'); // an event while 'a' is being reconciled
    q.add('b');
    assert.equal(await q.get(), 'b', 'a second worker gets b, not a again');
    let secondA: string | undefined;
    const waiter = q.get().then((k) => (secondA = k));
    await delay(5);
    assert.equal(secondA, undefined, 'a is parked until done()');
    q.done('a');
    await waiter;
    assert.equal(secondA, 'a', 'the parked add runs once the first one is done');
    q.done('a');
    q.done('b');
    assert.equal(q.len(), 0);
  });

  it('collapses many adds during processing into one more run', async () => {
    const q = createWorkQueue({ name: 'collapse', ...quiet });
    q.add('a');
    await q.get();
    for (let i = 0; i < 10; i++) q.add('a');
    q.done('a');
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'a');
    q.done('a');
    assert.equal(q.len(), 0);
  });

  it('runs N workers concurrently but each key serially', async () => {
    const q = createWorkQueue({ name: 'workers', ...quiet });
    const running = new Set<string>();
    let overlap = false;
    let maxParallel = 0;
    const runs: string[] = [];
    const worker = async () => {
      for (;;) {
        const k = await q.get();
        if (k === undefined) return;
        if (running.has(k)) overlap = true;
        running.add(k);
        maxParallel = Math.max(maxParallel, running.size);
        runs.push(k);
        await delay(2);
        if (runs.filter((r) => r === k).length < 3) q.add(k); // each key re-adds itself twice
        running.delete(k);
        q.done(k);
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) q.add(k);
    while (runs.length < 18 || q.len() > 0 || q.inFlight() > 0) await delay(2);
    await q.shutdown();
    await Promise.all(workers);
    assert.equal(overlap, false);
    assert.ok(maxParallel > 1, 'different keys run in parallel');
    assert.equal(runs.length, 18);
  });

  it('honours addAfter, keeping the earliest of two delays', async () => {
    const q = createWorkQueue({ name: 'after', ...quiet });
    const order: string[] = [];
    q.addAfter('late', 80);
    q.addAfter('early', 10);
    q.addAfter('late', 500); // a later delay does not postpone the pending one
    q.add('now');
    assert.equal(q.delayed(), 2);
    for (let i = 0; i < 3; i++) {
      const k = (await q.get())!;
      order.push(k);
      q.done(k);
    }
    assert.deepEqual(order, ['now', 'early', 'late']);
    assert.equal(q.delayed(), 0);
  });

  it('an earlier addAfter replaces a later pending one', async () => {
    const q = createWorkQueue({ name: 'after2', ...quiet });
    q.addAfter('x', 60_000);
    q.addAfter('x', 5);
    const started = performance.now();
    assert.equal(await q.get(), 'x');
    assert.ok(performance.now() - started < 30_000);
    q.done('x');
    await q.shutdown();
  });

  it('backs off rate-limited adds and forgets after success', () => {
    const limiter = exponentialFailureRateLimiter();
    const q = createWorkQueue({ name: 'rl', rateLimiter: limiter, ...quiet });
    q.addRateLimited('a');
    q.addRateLimited('a');
    assert.equal(q.numRequeues('a'), 2);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
    return q.shutdown();
  });

  it('shutdown wakes idle workers, drops delayed items and drains the ones in flight', async () => {
    const q = createWorkQueue({ name: 'shutdown', ...quiet });
    const idle = q.get();
    q.addAfter('later', 10_000);
    // `idle` is woken by 'a'; the next get takes 'b'. Then nothing is queued.
    q.add('a');
    q.add('b');
    assert.equal(await idle, 'a');
    assert.equal(await q.get(), 'b');
    const idle2 = q.get();
    let drained = false;
    const shut = q.shutdown().then(() => (drained = true));
    assert.equal(await idle2, undefined, 'a waiting worker is told to stop');
    assert.equal(await q.get(), undefined, 'nothing is handed out after shutdown');
    q.add('c');
    assert.equal(q.len(), 0, 'adds after shutdown are ignored');
    assert.equal(q.delayed(), 0);
    await delay(5);
    assert.equal(drained, false, 'in-flight items hold the drain');
    q.done('a');
    await delay(1);
    assert.equal(drained, false);
    q.add('b'); // re-add of an in-flight item after shutdown does not come back
    q.done('b');
    await shut;
    assert.equal(drained, true);
    assert.equal(q.len(), 0);
  });

  it('records workqueue metrics under client-go names', async () => {
    const registry = createRegistry();
    let t = 0;
    const q = createWorkQueue({ name: 'm', metrics: registry, now: () => t });
    q.add('a');
    q.add('a');
    q.add('b');
    t = 2000;
    const k = (await q.get())!;
    t = 5000;
    let text = registry.expose();
    assert.match(text, /^workqueue_depth\{name="m",controller="m"\} 1$/m);
    assert.match(text, /^workqueue_adds_total\{name="m",controller="m"\} 2$/m);
    assert.match(text, /^workqueue_queue_duration_seconds_count\{name="m",controller="m"\} 1$/m);
    assert.match(text, /^workqueue_queue_duration_seconds_sum\{name="m",controller="m"\} 2$/m);
    assert.match(text, /^workqueue_unfinished_work_seconds\{name="m",controller="m"\} 3$/m);
    assert.match(text, /^workqueue_longest_running_processor_seconds\{name="m",controller="m"\} 3$/m);
    q.done(k);
    q.addRateLimited('a');
    text = registry.expose();
    assert.match(text, /^workqueue_work_duration_seconds_sum\{name="m",controller="m"\} 3$/m);
    assert.match(text, /^workqueue_retries_total\{name="m",controller="m"\} 1$/m);
    assert.match(text, /^workqueue_unfinished_work_seconds\{name="m",controller="m"\} 0$/m);
    await q.shutdown();
  });
});

describe('rate limiters', () => {
  it('per-item exponential backoff doubles from 5 ms and caps at 1000 s', () => {
    const l = exponentialFailureRateLimiter();
    const seq = Array.from({ length: 20 }, () => l.when('a'));
    assert.deepEqual(seq.slice(0, 6), [5, 10, 20, 40, 80, 160]);
    assert.equal(seq[17], 5 * 2 ** 17); // 655.36 s
    assert.equal(seq[18], 1_000_000);
    assert.equal(seq[19], 1_000_000);
    assert.equal(l.when('b'), 5, 'items back off independently');
    for (let i = 0; i < 2000; i++) l.when('a');
    assert.equal(l.when('a'), 1_000_000, 'no overflow after many failures');
    l.forget('a');
    assert.equal(l.when('a'), 5);
  });

  it('the token bucket lets a burst through, then spaces items at 1/qps', () => {
    let t = 0;
    const l = bucketRateLimiter({ qps: 10, burst: 3, now: () => t });
    assert.deepEqual([l.when('a'), l.when('b'), l.when('c')], [0, 0, 0]);
    assert.ok(Math.abs(l.when('d') - 100) < 1e-6);
    assert.ok(Math.abs(l.when('e') - 200) < 1e-6);
    t = 1000; // a second later: refilled by 10, capped at the burst
    assert.deepEqual([l.when('f'), l.when('g')], [0, 0]);
  });

  it('the default limiter takes the larger of both delays', () => {
    const t = 0;
    const l = defaultControllerRateLimiter({ now: () => t });
    // The first 100 failures fit in the burst: only the per-item backoff shows.
    assert.deepEqual([l.when('x'), l.when('x'), l.when('x')], [5, 10, 20]);
    for (let i = 0; i < 97; i++) l.when(`other-${i}`);
    // The bucket is now empty: a fresh item waits 1/qps, more than its own 5 ms.
    assert.ok(Math.abs(l.when('fresh') - 100) < 1e-6);
    assert.equal(l.retries('x'), 3);
    l.forget('x');
    assert.equal(l.retries('x'), 0);
  });

  it('maxOf needs at least one limiter', () => {
    assert.throws(() => maxOfRateLimiter());
  });
});
