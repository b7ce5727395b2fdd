import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { childName, isDnsLabel, shortHash, truncateName } from '../src/names.js';

describe('names', () => {
  it('joins owner and suffix when it fits', () => {
    assert.equal(childName('web', 'haproxy'), 'web-haproxy');
    assert.equal(childName('web', ''), 'web');
    const exactly63 = 'a'.repeat(55) + '-haproxy';
    assert.equal(exactly63.length, 63);
    assert.equal(childName('a'.repeat(55), 'haproxy'), exactly63);
  });

  it('truncates long names to 63 characters with a stable hash', () => {
    const owner = 'a-very-long-load-balancer-name-that-somebody-typed-in-a-hurry-for-prod';
    const n = childName(owner, 'haproxy');
    assert.ok(n.length <= 63 && n.length >= 60, `length ${n.length}`);
    assert.equal(n, `a-very-long-load-balancer-name-that-somebody-typed-in-${shortHash(`${owner}-haproxy`)}`);
    assert.equal(n, childName(owner, 'haproxy'), 'deterministic');
    assert.ok(n.endsWith(`-${shortHash(`${owner}-haproxy`)}`));
    assert.ok(isDnsLabel(n));
  });

  it('different long names sharing a prefix do not collide', () => {
    const p = 'x'.repeat(70);
    assert.notEqual(childName(p, 'one'), childName(p, 'two'));
  });

  it('does not leave a dash or dot before the hash', () => {
    const name = 'a'.repeat(53) + '-----' + 'b'.repeat(20);
    const t = truncateName(name);
    assert.equal(t.length <= 63, true);
    assert.doesNotMatch(t, /--/);
  });

  it('respects other limits and refuses ones too small for the hash', () => {
    assert.equal(truncateName('z'.repeat(300), 253).length, 253);
    assert.throws(() => truncateName('abc', 5));
  });

  it('keeps valid DNS labels valid for any length (property)', () => {
    const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,120}[a-z0-9])?$/);
    fc.assert(
      fc.property(label, label, (owner, suffix) => {
        const n = childName(owner, suffix);
        return n.length <= 63 && isDnsLabel(n);
      }),
    );
  });
});
