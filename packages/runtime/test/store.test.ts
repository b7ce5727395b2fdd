import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../src/object.js';
import { createStore, indexByOwnerUid, NAMESPACE_INDEX } from '../src/store.js';

const obj = (ns: string | undefined, name: string, rv = '1', extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, resourceVersion: rv, ...(ns !== undefined ? { namespace: ns } : {}), ...extra },
});

const names = (xs: KubeObject[]) => xs.map((x) => x.metadata.name).sort();

describe('createStore', () => {
  it('stores by namespace/name and returns what it replaced or removed', () => {
    const s = createStore<KubeObject>();
    assert.equal(s.upsert(obj('a', 'x')), undefined);
    assert.equal(s.upsert(obj(undefined, 'node-1')), undefined);
    const before = s.get('a/x');
    assert.equal(s.upsert(obj('a', 'x', '2'))?.metadata.resourceVersion, '1');
    assert.notEqual(s.get('a/x'), before);
    assert.equal(s.get({ namespace: 'a', name: 'x' })?.metadata.resourceVersion, '2');
    assert.equal(s.get('node-1')?.metadata.name, 'node-1');
    assert.equal(s.size, 2);
    assert.deepEqual(s.keys().sort(), ['a/x', 'node-1']);
    assert.equal(s.remove('a/x')?.metadata.resourceVersion, '2');
    assert.equal(s.remove('a/x'), undefined);
    assert.equal(s.size, 1);
  });

  it('keeps the namespace index in step with writes', () => {
    const s = createStore<KubeObject>();
    s.upsert(obj('a', 'x'));
    s.upsert(obj('a', 'y'));
    s.upsert(obj('b', 'x'));
    s.upsert(obj(undefined, 'cluster'));
    assert.deepEqual(names(s.byIndex(NAMESPACE_INDEX, 'a')), ['x', 'y']);
    assert.deepEqual(names(s.byIndex(NAMESPACE_INDEX, '')), ['cluster']);
    s.remove('a/y');
    assert.deepEqual(names(s.byIndex(NAMESPACE_INDEX, 'a')), ['x']);
    assert.deepEqual(s.byIndex(NAMESPACE_INDEX, 'nope'), []);
  });

  it('files existing objects under a new index and re-files them when they change', () => {
    const s = createStore<KubeObject>();
    const owner = (uid: string) => ({ ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: uid, uid }] });
    s.upsert(obj('a', 'c1', '1', owner('u1')));
    s.upsert(obj('a', 'c2', '1', owner('u1')));
    s.addIndex('owner', indexByOwnerUid);
    assert.deepEqual(names(s.byIndex('owner', 'u1')), ['c1', 'c2']);
    // c2 changes owner: it must leave u1's entry, not just be added to u2's.
    s.upsert(obj('a', 'c2', '2', owner('u2')));
    assert.deepEqual(names(s.byIndex('owner', 'u1')), ['c1']);
    assert.deepEqual(names(s.byIndex('owner', 'u2')), ['c2']);
    s.remove('a/c1');
    assert.deepEqual(s.byIndex('owner', 'u1'), []);
  });

  it('files an object once per distinct value, and under several values', () => {
    const s = createStore<KubeObject>();
    s.addIndex('labels', (o) => Object.values(o.metadata.labels ?? {}));
    s.upsert(obj('a', 'x', '1', { labels: { one: 'v', two: 'v', three: 'w' } }));
    assert.equal(s.byIndex('labels', 'v').length, 1);
    assert.equal(s.byIndex('labels', 'w').length, 1);
  });

  it('refuses duplicate and unknown indexes', () => {
    const s = createStore<KubeObject>();
    assert.equal(s.hasIndex(NAMESPACE_INDEX), true);
    assert.throws(() => s.addIndex(NAMESPACE_INDEX, () => []), /already exists/);
    assert.throws(() => s.byIndex('nope', 'x'), /no index/);
  });

  it('replace reports added, updated (resourceVersion changed) and deleted objects', () => {
    const s = createStore<KubeObject>();
    s.upsert(obj('a', 'same', '1'));
    s.upsert(obj('a', 'changed', '1'));
    s.upsert(obj('a', 'gone', '1'));
    const diff = s.replace([obj('a', 'same', '1'), obj('a', 'changed', '2'), obj('a', 'new', '1')]);
    assert.deepEqual(names(diff.added), ['new']);
    assert.deepEqual(
      diff.updated.map((u) => [u.old.metadata.resourceVersion, u.new.metadata.resourceVersion]),
      [['1', '2']],
    );
    assert.deepEqual(names(diff.deleted), ['gone']);
    assert.deepEqual(s.keys().sort(), ['a/changed', 'a/new', 'a/same']);
    assert.deepEqual(names(s.byIndex(NAMESPACE_INDEX, 'a')), ['changed', 'new', 'same']);
  });
});
