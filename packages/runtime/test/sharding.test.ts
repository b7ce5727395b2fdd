import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../src/object.js';
import { fnv1a32, shardOf, shardSelector, SHARD_LABEL } from '../src/sharding.js';

const obj = (ns: string, name: string, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: ns, name, ...(labels ? { labels } : {}) },
});

describe('sharding', () => {
  it('FNV-1a 32 matches the reference values', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  it('every object belongs to exactly one of N shards, spread roughly evenly', () => {
    const n = 4;
    const selectors = Array.from({ length: n }, (_, i) => shardSelector({ index: i, count: n }));
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < 2000; i++) {
      const o = obj(`ns-${i % 7}`, `obj-${i}`);
      const owners = selectors.filter((s) => s.owns(o));
      assert.equal(owners.length, 1);
      counts[owners[0]!.index]!++;
      assert.equal(owners[0]!.index, shardOf({ namespace: o.metadata.namespace, name: o.metadata.name ?? '' }, n));
    }
    for (const c of counts) assert.ok(c > 350 && c < 650, `uneven split ${counts.join('/')}`);
  });

  it('the pin label overrides the hash; an out-of-range or malformed pin falls back to it', () => {
    const s0 = shardSelector({ index: 0, count: 2 });
    const s1 = shardSelector({ index: 1, count: 2 });
    const o = obj('ns', 'pinned', { [SHARD_LABEL]: '1' });
    assert.deepEqual([s0.owns(o), s1.owns(o)], [false, true]);
    for (const bad of ['7', 'x', '']) {
      const b = obj('ns', 'pinned', { [SHARD_LABEL]: bad });
      assert.equal([s0, s1].filter((s) => s.owns(b)).length, 1);
    }
    assert.equal(s1.pinnedSelector(), 'tugboat.dev/shard=1');
  });

  it('ownsKey agrees with owns for unpinned objects', () => {
    const s = shardSelector({ index: 2, count: 3 });
    for (let i = 0; i < 100; i++) assert.equal(s.ownsKey(`ns/o${i}`), s.owns(obj('ns', `o${i}`)));
  });

  it('rejects impossible shard settings', () => {
    assert.throws(() => shardSelector({ index: 2, count: 2 }));
    assert.throws(() => shardSelector({ index: 0, count: 0 }));
    assert.throws(() => shardOf('x', 1.5));
  });
});
