import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBackoff, sleep } from '../src/backoff.js';

describe('createBackoff', () => {
  it('doubles from the initial delay up to the cap when jitter draws 0', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    assert.deepEqual(
      Array.from({ length: 6 }, () => b.next()),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(b.attempts, 6);
  });

  it('adds up to jitter*delay on top', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 1000, jitter: 1, random: () => 0.5 });
    assert.deepEqual([b.next(), b.next(), b.next()], [150, 300, 600]);
    const none = createBackoff({ initialMs: 100, jitter: 0, random: () => 0.99 });
    assert.equal(none.next(), 100);
  });

  it('starts over after reset', () => {
    const b = createBackoff({ initialMs: 10, random: () => 0 });
    b.next();
    b.next();
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 10);
  });

  it('refuses nonsense settings', () => {
    assert.throws(() => createBackoff({ initialMs: 0 }), RangeError);
    assert.throws(() => createBackoff({ initialMs: 10, maxMs: 5 }), RangeError);
    assert.throws(() => createBackoff({ factor: 0.5 }), RangeError);
  });
});

describe('sleep', () => {
  it('returns early, without throwing, when the signal aborts', async () => {
    const ac = new AbortController();
    const started = performance.now();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    await p;
    assert.ok(performance.now() - started < 5_000);
    await sleep(60_000, ac.signal); // already aborted: returns at once
  });
});
