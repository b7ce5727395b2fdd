// The work queue between watch events and reconcilers, with client-go's semantics:
//  - dedup: an item already waiting is not queued twice, however many events name it;
//  - no item is handed to two workers at once: an item added while it is being processed is
//    parked ("dirty") and queued again only when the worker calls done();
//  - delayed adds (requeueAfter) and rate-limited adds (error backoff);
//  - shutdown hands out nothing more and resolves once the items in flight are done.
// Items are compared with Map/Set identity, so use strings (the controller uses `ns/name`).
import { defaultRegistry, workqueueMetrics, type Registry, type WorkqueueMetrics } from './metrics.js';
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimiter.js';

export interface WorkQueueOptions<K> {
  /** Names the queue in metrics (`name` and `controller` labels). */
  name: string;
  /** Delay policy for addRateLimited. Default: client-go's default controller rate limiter. */
  rateLimiter?: RateLimiter<K>;
  /** Where the workqueue_* metrics go; `false` for none. Default: the process registry. */
  metrics?: Registry | false;
  /** Clock in ms for metrics; injectable for tests. */
  now?: () => number;
}

export interface WorkQueue<K = string> {
  /** Queues `item` unless it is already waiting; ignored after shutdown. */
  add(item: K): void;
  /** Queues `item` after `ms`. A pending earlier add wins over a later one. */
  addAfter(item: K, ms: number): void;
  /** Queues `item` after the delay the rate limiter gives it (one more failure recorded). */
  addRateLimited(item: K): void;
  /** Clears `item`'s failure history: its next failure backs off from the start again. */
  forget(item: K): void;
  /** Failures recorded for `item` since it was last forgotten. */
  numRequeues(item: K): number;
  /** The next item to work on; `undefined` once the queue is shut down. Call done() after. */
  get(): Promise<K | undefined>;
  /** Marks `item` finished; if it was added meanwhile, it is queued again now. */
  done(item: K): void;
  /** Items waiting to be handed out (not those in flight or delayed). */
  len(): number;
  /** Items handed out and not yet done. */
  inFlight(): number;
  /** Items waiting for a delayed add. */
  delayed(): number;
  readonly shuttingDown: boolean;
  /**
   * Stops handing out items (pending and future get() resolve `undefined`, adds are ignored,
   * delayed adds are dropped) and resolves when every item in flight is done.
   */
  shutdown(): Promise<void>;
}

// An array-backed FIFO with a moving head: O(1) push and shift without Array#shift's copy.
function fifo<K>() {
  let items: K[] = [];
  let head = 0;
  return {
    push(k: K) {
      items.push(k);
    },
    shift(): K | undefined {
      if (head >= items.length) return undefined;
      const k = items[head++];
      if (head > 1024 && head * 2 > items.length) {
        items = items.slice(head);
        head = 0;
      }
      return k;
    },
    get length() {
      return items.length - head;
    },
  };
}

export function createWorkQueue<K = string>(opts: WorkQueueOptions<K>): WorkQueue<K> {
  const limiter = opts.rateLimiter ?? defaultControllerRateLimiter<K>();
  const now = opts.now ?? (() => performance.now());
  const registry = opts.metrics === false ? undefined : (opts.metrics ?? defaultRegistry);
  const m: WorkqueueMetrics | undefined = registry ? workqueueMetrics(registry) : undefined;
  const labels = { name: opts.name, controller: opts.name };

  const queue = fifo<K>();
  const dirty = new Set<K>();
  const processing = new Set<K>();
  const waiters: ((k: K | undefined) => void)[] = [];
  const waiting = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  const addedAt = new Map<K, number>();
  const startedAt = new Map<K, number>();
  const drained: (() => void)[] = [];
  let shuttingDown = false;

  const removeCollector = registry?.addCollector(() => {
    if (!m) return;
    const t = now();
    let total = 0;
    let longest = 0;
    for (const s of startedAt.values()) {
      const d = (t - s) / 1000;
      total += d;
      longest = Math.max(longest, d);
    }
    m.unfinishedWork.set(labels, total);
    m.longestRunning.set(labels, longest);
  });
  if (m) {
    // Present from the start, so a dashboard shows 0 rather than "no data".
    m.depth.inc(labels, 0);
    m.adds.inc(labels, 0);
    m.retries.inc(labels, 0);
  }

  function take(): K {
    const k = queue.shift() as K;
    processing.add(k);
    dirty.delete(k);
    if (m) {
      const t = now();
      m.depth.dec(labels);
      const a = addedAt.get(k);
      if (a !== undefined) m.queueDuration.observe(labels, (t - a) / 1000);
      addedAt.delete(k);
      startedAt.set(k, t);
    }
    return k;
  }

  function dispatch() {
    while (waiters.length > 0 && queue.length > 0) waiters.shift()!(take());
  }

  function add(item: K) {
    if (shuttingDown || dirty.has(item)) return;
    if (m) {
      m.adds.inc(labels);
      m.depth.inc(labels);
      if (!addedAt.has(item)) addedAt.set(item, now());
    }
    dirty.add(item);
    if (processing.has(item)) return;
    queue.push(item);
    dispatch();
  }

  function addAfter(item: K, ms: number) {
    if (shuttingDown) return;
    if (!(ms > 0)) return add(item);
    const at = now() + ms;
    const pending = waiting.get(item);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      waiting.delete(item);
      add(item);
    }, ms);
    waiting.set(item, { at, timer });
  }

  return {
    add,
    addAfter,
    addRateLimited(item) {
      if (shuttingDown) return;
      m?.retries.inc(labels);
      addAfter(item, limiter.when(item));
    },
    forget: (item) => limiter.forget(item),
    numRequeues: (item) => limiter.retries(item),
    get() {
      if (shuttingDown) return Promise.resolve(undefined);
      if (queue.length > 0) return Promise.resolve(take());
      return new Promise((resolve) => waiters.push(resolve));
    },
    done(item) {
      if (!processing.delete(item)) return;
      if (m) {
        const s = startedAt.get(item);
        if (s !== undefined) m.workDuration.observe(labels, (now() - s) / 1000);
        startedAt.delete(item);
      }
      if (!shuttingDown && dirty.has(item)) {
        queue.push(item);
        dispatch();
      }
      if (processing.size === 0) for (const r of drained.splice(0)) r();
    },
    len: () => queue.length,
    inFlight: () => processing.size,
    delayed: () => waiting.size,
    get shuttingDown() {
      return shuttingDown;
    },
    shutdown() {
      if (!shuttingDown) {
        shuttingDown = true;
        for (const w of waiters.splice(0)) w(undefined);
        for (const { timer } of waiting.values()) clearTimeout(timer);
        waiting.clear();
        removeCollector?.();
      }
      if (processing.size === 0) return Promise.resolve();
      return new Promise((resolve) => drained.push(resolve));
    },
  };
}
