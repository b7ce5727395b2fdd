// What the work queue's dedup is worth under a burst of events, and what it costs per item.
//
// Burst: 100,000 adds over 10,000 keys arrive in batches (the way an informer delivers a relist
// or a flood of watch events: many events per event-loop turn) while workers take items and
// "reconcile" them (each reconcile yields once to the event loop, like a reconcile reading the
// cache). The baseline is a plain array FIFO without dedup, fed and drained by the same
// producer and workers: it processes every add. @tugboat/runtime's work queue processes a key
// once however many adds name it while it waits, and never hands one key to two workers. The
// ratio is reconciles saved: baseline items processed ÷ work-queue items processed.
//
// Cost: ns per add and per get+done, single-threaded and without workers, for distinct keys
// (no dedup to help) and for repeated keys (the dedup path), against the array FIFO's push and
// shift. The work queue pays for a Set lookup, in-flight tracking and its workqueue_* metrics.
//
// Every figure is measured in this same run. Not a test: nothing here asserts a time.
//
//   BENCH_ADDS     adds in the burst (default 100,000)
//   BENCH_KEYS     distinct keys they name (default 10,000)
//   BENCH_WORKERS  concurrent workers (default 16)
//   BENCH_BATCH    adds per event-loop turn (default 1,000)
//   BENCH_RUNS     timed runs of each cost row; the best is shown (default 7)
import { loadavg } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createRegistry, createWorkQueue, type WorkQueue } from '@tugboat/runtime';

const ADDS = Number(process.env['BENCH_ADDS'] ?? 100_000);
const KEYS = Number(process.env['BENCH_KEYS'] ?? 10_000);
const WORKERS = Number(process.env['BENCH_WORKERS'] ?? 16);
const BATCH = Number(process.env['BENCH_BATCH'] ?? 1_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);

/** The queue shape both sides share: add, an awaitable get, done. */
interface Queue {
  add(k: string): void;
  get(): Promise<string | undefined>;
  done(k: string): void;
  idle(): boolean;
  shutdown(): Promise<void>;
}

/** The baseline: an array with a moving head and waiting getters; every add is an item. */
function arrayFifo(): Queue {
  let items: string[] = [];
  let head = 0;
  let inFlight = 0;
  let closed = false;
  const waiters: ((k: string | undefined) => void)[] = [];
  return {
    add(k) {
      const w = waiters.shift();
      if (w) {
        inFlight++;
        w(k);
      } else items.push(k);
    },
    get() {
      if (head < items.length) {
        const k = items[head++];
        if (head > 1024 && head * 2 > items.length) {
          items = items.slice(head);
          head = 0;
        }
        inFlight++;
        return Promise.resolve(k);
      }
      if (closed) return Promise.resolve(undefined);
      return new Promise((resolve) => waiters.push(resolve));
    },
    done() {
      inFlight--;
    },
    idle: () => head >= items.length && inFlight === 0,
    shutdown() {
      closed = true;
      for (const w of waiters.splice(0)) w(undefined);
      return Promise.resolve();
    },
  };
}

function workQueue(metrics: boolean): Queue {
  const q: WorkQueue<string> = createWorkQueue<string>({ name: 'bench', metrics: metrics ? createRegistry() : false });
  return {
    add: (k) => q.add(k),
    get: () => q.get(),
    done: (k) => q.done(k),
    idle: () => q.len() === 0 && q.inFlight() === 0,
    shutdown: () => q.shutdown(),
  };
}

/** Deterministic keys (a 32-bit LCG), so both sides see the same sequence. */
function burstKeys(): string[] {
  let x = 12345;
  return Array.from({ length: ADDS }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return `tenant-${x % KEYS % 500}/lb-${x % KEYS}`;
  });
}

async function burst(q: Queue, keys: readonly string[]): Promise<{ processed: number; ms: number; distinct: number }> {
  let processed = 0;
  const seen = new Set<string>();
  const worker = async () => {
    for (;;) {
      const k = await q.get();
      if (k === undefined) return;
      await nextTurn(); // the reconcile: one trip through the event loop
      processed++;
      seen.add(k);
      q.done(k);
    }
  };
  const t = performance.now();
  const workers = Array.from({ length: WORKERS }, () => worker());
  for (let i = 0; i < keys.length; i += BATCH) {
    for (let j = i; j < Math.min(i + BATCH, keys.length); j++) q.add(keys[j] ?? '');
    await nextTurn();
  }
  while (!q.idle()) await nextTurn();
  await q.shutdown();
  await Promise.all(workers);
  return { processed, ms: performance.now() - t, distinct: seen.size };
}

/** ns per add, and per get+done, for adding `keys` to an empty queue and draining it. */
async function cost(make: () => Queue, keys: readonly string[]): Promise<{ addNs: number; getNs: number; items: number }> {
  const q = make();
  let t = process.hrtime.bigint();
  for (const k of keys) q.add(k);
  const addNs = Number(process.hrtime.bigint() - t) / keys.length;
  let items = 0;
  t = process.hrtime.bigint();
  while (!q.idle()) {
    const k = await q.get();
    if (k === undefined) break;
    q.done(k);
    items++;
  }
  const getNs = Number(process.hrtime.bigint() - t) / Math.max(items, 1);
  await q.shutdown();
  return { addNs, getNs, items };
}

const keys = burstKeys();
const distinctKeys = Array.from({ length: ADDS }, (_, i) => `tenant-${i % 500}/lb-${i}`);
console.log(
  `workqueue benchmark: ${ADDS} adds over ${KEYS} keys, ${WORKERS} workers, ${BATCH} adds per event-loop turn (node ${process.version}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')})`,
);

const base = await burst(arrayFifo(), keys);
const ours = await burst(workQueue(true), keys);
if (base.distinct !== ours.distinct) throw new Error(`the work queue lost keys: ${ours.distinct} of ${base.distinct}`);
console.log('burst with workers                          items processed   wall ms   µs/add');
const burstRow = (what: string, r: typeof base) =>
  console.log(`  ${what.padEnd(42)} ${String(r.processed).padStart(14)} ${r.ms.toFixed(0).padStart(9)} ${((r.ms * 1000) / ADDS).toFixed(2).padStart(8)}`);
burstRow('baseline: array FIFO, no dedup', base);
burstRow('@tugboat/runtime work queue (metrics on)', ours);
console.log(
  `  ratio: ${(base.processed / ours.processed).toFixed(1)}x fewer reconciles (${ours.distinct} distinct keys; ${ours.processed - ours.distinct} re-reconciled after a new add), wall time ${(base.ms / ours.ms).toFixed(1)}x shorter`,
);

type Cost = Awaited<ReturnType<typeof cost>>;
const rows: { what: string; make: () => Queue; keys: readonly string[]; runs: Cost[] }[] = [
  { what: 'baseline: array FIFO', make: arrayFifo, keys: distinctKeys, runs: [] },
  { what: 'work queue, metrics on, distinct keys', make: () => workQueue(true), keys: distinctKeys, runs: [] },
  { what: 'work queue, metrics off, distinct keys', make: () => workQueue(false), keys: distinctKeys, runs: [] },
  { what: `work queue, metrics on, ${KEYS} keys repeated`, make: () => workQueue(true), keys, runs: [] },
];
for (const r of rows) await cost(r.make, r.keys); // warm-up
for (let i = 0; i < RUNS; i++) {
  for (const r of rows) {
    globalThis.gc?.();
    r.runs.push(await cost(r.make, r.keys));
  }
}
const best = (r: (typeof rows)[number], f: (c: Cost) => number) => Math.min(...r.runs.map(f));
const baseAdd = best(rows[0]!, (c) => c.addNs);
const baseGet = best(rows[0]!, (c) => c.getNs);
console.log(`cost per item (best of ${RUNS}, no workers)           items   add ns  (x base)   get+done ns  (x base)`);
for (const r of rows) {
  const add = best(r, (c) => c.addNs);
  const get = best(r, (c) => c.getNs);
  console.log(
    `  ${r.what.padEnd(46)} ${String(r.runs[0]?.items ?? 0).padStart(7)} ${add.toFixed(0).padStart(8)} ${`(${(add / baseAdd).toFixed(1)}x)`.padStart(9)} ${get.toFixed(0).padStart(13)} ${`(${(get / baseGet).toFixed(1)}x)`.padStart(9)}`,
  );
}
