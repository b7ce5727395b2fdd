import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTokenBucket } from '../src/tokenbucket.js';

describe('createTokenBucket', () => {
  it('lets a burst through, then spaces requests at 1/qps', () => {
    const t = 0;
    const b = createTokenBucket({ qps: 10, burst: 3, now: () => t });
    assert.deepEqual([b.reserve(), b.reserve(), b.reserve()], [0, 0, 0]);
    // Three reservations beyond the burst queue up 100 ms apart.
    assert.equal(Math.round(b.reserve()), 100);
    assert.equal(Math.round(b.reserve()), 200);
    assert.equal(Math.round(b.reserve()), 300);
  });

  it('refills with time, never beyond the burst', () => {
    let t = 0;
    const b = createTokenBucket({ qps: 10, burst: 2, now: () => t });
    b.reserve();
    b.reserve();
    t += 100; // one token back
    assert.equal(b.reserve(), 0);
    assert.ok(b.reserve() > 0);
    t += 60_000; // idle for a minute: still only `burst` tokens
    assert.deepEqual([b.reserve(), b.reserve()], [0, 0]);
    assert.ok(b.reserve() > 0);
  });

  it('refuses nonsense settings', () => {
    assert.throws(() => createTokenBucket({ qps: 0, burst: 1 }), RangeError);
    assert.throws(() => createTokenBucket({ qps: 1, burst: 0 }), RangeError);
  });
});
