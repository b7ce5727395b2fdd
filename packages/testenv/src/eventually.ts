// Polls until `fn` returns a value other than undefined (or stops throwing), for assertions on
// state that converges asynchronously: informer stores, controllers, apiserver side effects.
// It bounds the wait and reports the last error, so a failure says what never happened.
import { setTimeout as sleep } from 'node:timers/promises';

export async function eventually<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
}
