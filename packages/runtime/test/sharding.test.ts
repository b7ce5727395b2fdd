import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../src/object.js';
import { parseLabelSelector, matchesLabels } from '../src/selector.js';
import {
  andSelectors,
  fnv1a32,
  labelShardSelector,
  primarySelectors,
  shardFor,
  shardOf,
  shardSelector,
  SHARD_LABEL,
  unlabeledSelector,
  validShardLabel,
} from '../src/sharding.js';

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

  it('a valid pin is a digit string naming one of the shards', () => {
    assert.equal(validShardLabel('0', 3), 0);
    assert.equal(validShardLabel('2', 3), 2);
    for (const bad of [undefined, '', '3', '-1', '1.0', ' 1', 'x', '01x']) assert.equal(validShardLabel(bad, 3), undefined, String(bad));
    assert.equal(shardFor(obj('ns', 'a', { [SHARD_LABEL]: '2' }), 3), 2);
    assert.equal(shardFor(obj('ns', 'a', { [SHARD_LABEL]: '9' }), 3), shardOf('ns/a', 3));
    assert.equal(shardFor(obj('ns', 'a', { 'other/shard': '2' }), 3, 'other/shard'), 2);
  });

  it('the unlabelled selector matches exactly the objects without a valid pin, as the apiserver evaluates it', () => {
    const sel = parseLabelSelector(unlabeledSelector(3));
    assert.equal(unlabeledSelector(3), 'tugboat.dev/shard notin (0,1,2)');
    const cases: [Record<string, string> | undefined, boolean][] = [
      [undefined, true],
      [{ app: 'x' }, true],
      [{ [SHARD_LABEL]: '7' }, true],
      [{ [SHARD_LABEL]: 'x' }, true],
      [{ [SHARD_LABEL]: '0' }, false],
      [{ [SHARD_LABEL]: '2' }, false],
    ];
    for (const [labels, unlabelled] of cases) {
      assert.equal(matchesLabels(sel, labels), unlabelled, JSON.stringify(labels));
      assert.equal(matchesLabels(sel, labels), validShardLabel(labels?.[SHARD_LABEL], 3) === undefined);
    }
  });

  it('label mode watches the pinned objects, plus the unlabelled ones unless told to ignore them', () => {
    const s = labelShardSelector({ shards: 3, index: 1 });
    assert.equal(s.mode, 'label');
    assert.equal(s.count, 3);
    assert.deepEqual(primarySelectors(s, undefined), [
      { labelSelector: 'tugboat.dev/shard=1', hashFiltered: false },
      { labelSelector: 'tugboat.dev/shard notin (0,1,2)', hashFiltered: true },
    ]);
    assert.deepEqual(primarySelectors(labelShardSelector({ shards: 3, index: 1, unlabeled: 'ignore' }), 'app=x'), [
      { labelSelector: 'app=x,tugboat.dev/shard=1', hashFiltered: false },
    ]);
    assert.equal(andSelectors('', 'a=b'), 'a=b');
    assert.equal(andSelectors('c', 'a=b'), 'c,a=b');
    assert.equal(shardSelector({ index: 0, count: 2 }).mode, undefined, 'hash mode is unchanged');
  });

  it('every object is watched by exactly one label-mode shard through exactly one of its selectors', () => {
    const n = 3;
    const shards = Array.from({ length: n }, (_, i) => labelShardSelector({ shards: n, index: i }));
    for (let i = 0; i < 300; i++) {
      const labels = i % 3 === 0 ? undefined : i % 3 === 1 ? { [SHARD_LABEL]: String(i % n) } : { [SHARD_LABEL]: 'bogus' };
      const o = obj('ns', `o${i}`, labels);
      // Which shard reconciles it: a pinned selector match, or the unlabelled selector plus the hash filter.
      const takers = shards.filter((s) =>
        primarySelectors(s, undefined).some((p) => matchesLabels(parseLabelSelector(p.labelSelector), o.metadata.labels) && (!p.hashFiltered || s.owns(o))),
      );
      assert.equal(takers.length, 1, JSON.stringify(o.metadata));
      assert.equal(takers[0]!.index, shardFor(o, n));
    }
  });
});
