// Exponential backoff with jitter for reconnect loops. Jitter spreads many informers (or many
// operator replicas) that lost the apiserver at the same moment, so they do not come back in
// lockstep and hit it with a thundering herd of LISTs.

export interface BackoffOptions {
  /** First delay. Default 800 ms (client-go's reflector). */
  initialMs?: number;
  /** Upper bound before jitter. Default 30 s. */
  maxMs?: number;
  /** Growth per failure. Default 2. */
  factor?: number;
  /** Each delay is d + random()*jitter*d. Default 1 (up to double). */
  jitter?: number;
  /** Source of randomness in [0, 1); injectable so tests can check values. */
  random?: () => number;
}

export interface Backoff {
  /** The delay to wait before the next attempt; each call grows the base delay. */
  next(): number;
  /** Back to the first delay, after an attempt that worked. */
  reset(): void;
  /** How many delays were handed out since the last reset. */
  readonly attempts: number;
}

export function createBackoff(opts: BackoffOptions = {}): Backoff {
  const initial = opts.initialMs ?? 800;
  const max = opts.maxMs ?? 30_000;
  const factor = opts.factor ?? 2;
  const jitter = opts.jitter ?? 1;
  const random = opts.random ?? Math.random;
  if (initial <= 0 || max < initial || factor < 1 || jitter < 0) {
    throw new RangeError('backoff: need 0 < initialMs <= maxMs, factor >= 1, jitter >= 0');
  }
  let attempts = 0;
  return {
    next() {
      const base = Math.min(max, initial * factor ** attempts);
      attempts++;
      return base + random() * jitter * base;
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}

/** Waits `ms`, or less when `signal` aborts first; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
