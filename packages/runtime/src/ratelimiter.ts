// Rate limiters decide how long a work item waits before it is retried. The default is
// client-go's DefaultControllerRateLimiter: the larger of a per-item exponential backoff
// (5 ms, 10 ms, 20 ms … capped at 1000 s) and one token bucket shared by all items
// (10 per second, burst 100). The per-item part keeps one broken object from hot-looping;
// the shared bucket keeps a thousand failing objects from hammering the apiserver together.
import { createTokenBucket } from './tokenbucket.js';

export interface RateLimiter<K = string> {
  /** How many ms `item` must wait before its next attempt; records one more failure. */
  when(item: K): number;
  /** Clears the failure history of `item` (call it after a success). */
  forget(item: K): void;
  /** How many failures `item` has had since it was last forgotten. */
  retries(item: K): number;
}

export interface ExponentialOptions {
  /** Delay after the first failure. Default 5 ms. */
  baseMs?: number;
  /** Upper bound. Default 1000 s. */
  maxMs?: number;
}

export function exponentialFailureRateLimiter<K = string>(opts: ExponentialOptions = {}): RateLimiter<K> {
  const base = opts.baseMs ?? 5;
  const max = opts.maxMs ?? 1_000_000;
  if (!(base > 0) || max < base) throw new RangeError('rate limiter: need 0 < baseMs <= maxMs');
  const failures = new Map<K, number>();
  return {
    when(item) {
      const n = failures.get(item) ?? 0;
      failures.set(item, n + 1);
      // 2**n overflows to Infinity long after the cap is reached, so min() still holds.
      return Math.min(max, base * 2 ** n);
    },
    forget(item) {
      failures.delete(item);
    },
    retries: (item) => failures.get(item) ?? 0,
  };
}

export interface BucketOptions {
  /** Sustained rate. Default 10 per second. */
  qps?: number;
  /** Items that may go at once. Default 100. */
  burst?: number;
  /** Clock in ms, injectable for tests. */
  now?: () => number;
}

/** One token bucket shared by all items; it has no per-item memory. */
export function bucketRateLimiter<K = string>(opts: BucketOptions = {}): RateLimiter<K> {
  const bucket = createTokenBucket({ qps: opts.qps ?? 10, burst: opts.burst ?? 100, ...(opts.now ? { now: opts.now } : {}) });
  return {
    when: () => bucket.reserve(),
    forget() {},
    retries: () => 0,
  };
}

/** The longest delay any of `limiters` asks for; each one records the failure. */
export function maxOfRateLimiter<K = string>(...limiters: RateLimiter<K>[]): RateLimiter<K> {
  if (limiters.length === 0) throw new RangeError('maxOfRateLimiter needs at least one limiter');
  return {
    when(item) {
      let delay = 0;
      for (const l of limiters) delay = Math.max(delay, l.when(item));
      return delay;
    },
    forget(item) {
      for (const l of limiters) l.forget(item);
    },
    retries(item) {
      let n = 0;
      for (const l of limiters) n = Math.max(n, l.retries(item));
      return n;
    },
  };
}

/** client-go's default controller rate limiter: max(per-item 5 ms→1000 s, bucket 10 qps/100). */
export function defaultControllerRateLimiter<K = string>(opts: { now?: () => number } = {}): RateLimiter<K> {
  return maxOfRateLimiter<K>(exponentialFailureRateLimiter<K>(), bucketRateLimiter<K>(opts.now ? { now: opts.now } : {}));
}
