// A token bucket: `burst` requests may go at once, then `qps` per second on average. Callers
// reserve a token and wait the returned delay, so waiters are served in arrival order without
// a timer per waiter.
import { sleep } from './backoff.js';

export interface TokenBucketOptions {
  qps: number;
  burst: number;
  /** Clock in milliseconds; injectable for tests. */
  now?: () => number;
}

export interface TokenBucket {
  /** Takes a token and returns how many ms the caller must wait before using it (0 = now). */
  reserve(): number;
  /** Takes a token and waits until it may be used (returns early if `signal` aborts). */
  take(signal?: AbortSignal): Promise<void>;
}

export function createTokenBucket(opts: TokenBucketOptions): TokenBucket {
  const { qps, burst } = opts;
  if (!(qps > 0) || !(burst >= 1)) throw new RangeError('token bucket: need qps > 0 and burst >= 1');
  const now = opts.now ?? (() => performance.now());
  let tokens = burst;
  let last = now();
  const reserve = () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * qps);
    last = t;
    tokens -= 1;
    // A negative balance is a queue of reservations: each one waits for its own refill.
    return tokens >= 0 ? 0 : (-tokens / qps) * 1000;
  };
  return {
    reserve,
    async take(signal) {
      const wait = reserve();
      if (wait > 0) await sleep(wait, signal);
    },
  };
}
