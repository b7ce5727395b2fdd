// Informers and the shared cache against a real apiserver: the store follows creates, updates
// and deletes (through WatchList and through LIST+WATCH), handlers hear about each change,
// transforms and freezing protect the cache, metadata-only informers, indexes, and the cache's
// sharing and reference counting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { createCache } from '../src/cache.js';
import { createClient, type Client } from '../src/client.js';
import { createInformer, type Informer } from '../src/informer.js';
import { ConfigMap, Namespace, Secret } from '../src/kinds.js';
import type { KubeObject } from '../src/object.js';
import { eventually } from './support/eventually.js';

type Seen = [string, string, string?][];

function record<T extends KubeObject>(inf: Informer<T>, seen: Seen, dataKey = 'v'): () => void {
  const val = (o: T) => (o as unknown as { data?: Record<string, string> }).data?.[dataKey];
  return inf.addHandler({
    onAdd: (o, initial) => seen.push([initial ? 'add-initial' : 'add', o.metadata.name ?? '']),
    onUpdate: (old, o) => seen.push(['update', o.metadata.name ?? '', `${val(old) ?? ''}->${val(o) ?? ''}`]),
    onDelete: (o) => seen.push(['delete', o.metadata.name ?? '']),
  });
}

const cm = (ns: string, name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
  data,
});

describe('informers and the cache against a real apiserver', () => {
  let cp: ControlPlane;
  let client: Client;

  const ns = async (name: string) => {
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    return name;
  };

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
  });

  after(async () => {
    await client?.close();
    await cp?.stop();
  });

  for (const watchList of [true, false]) {
    it(`keeps the store in step with creates, updates and deletes (${watchList ? 'WatchList' : 'LIST then WATCH'})`, async () => {
      const n = await ns(`steps-${watchList ? 'wl' : 'list'}`);
      await client.create(ConfigMap, cm(n, 'pre-1', { v: '1' }));
      await client.create(ConfigMap, cm(n, 'pre-2', { v: '1' }));
      await client.create(ConfigMap, cm('default', `not-mine-${n}`));
      const inf = createInformer(client, ConfigMap, { namespace: n, watchList, pageSize: 1 });
      const seen: Seen = [];
      record(inf, seen);
      inf.start();
      try {
        assert.equal(await inf.waitForSync(AbortSignal.timeout(30_000)), true);
        assert.deepEqual(inf.store.keys().sort(), [`${n}/pre-1`, `${n}/pre-2`]);
        assert.deepEqual(
          seen.map((s) => s.join(' ')).sort(),
          ['add-initial pre-1', 'add-initial pre-2'],
        );
        seen.length = 0;

        const created = await client.create(ConfigMap, cm(n, 'live', { v: '1' }));
        await client.update(ConfigMap, { ...created, data: { v: '2' } });
        await client.delete(ConfigMap, { namespace: n, name: 'pre-1' });
        await eventually('three events', () => (seen.length >= 3 ? true : undefined), 30_000);
        assert.deepEqual(seen, [['add', 'live'], ['update', 'live', '1->2'], ['delete', 'pre-1']]);
        assert.deepEqual(inf.store.keys().sort(), [`${n}/live`, `${n}/pre-2`]);
        assert.equal(inf.store.get({ namespace: n, name: 'live' })?.data?.v, '2');

        const stats = inf.stats();
        assert.equal(stats.syncs, 1);
        assert.equal(stats.watchListFallbacks, 0, 'this apiserver serves WatchList');
        assert.equal(Number(inf.lastSyncResourceVersion()) > 0, true);
        assert.deepEqual(inf.health().stalled, false);
      } finally {
        await inf.stop();
      }
    });
  }

  it('strips managedFields and last-applied-configuration, and freezes what it stores', async () => {
    const n = await ns('transform');
    await client.apply(
      ConfigMap,
      { metadata: { name: 'noisy', namespace: n, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"x"}', keep: 'yes' } }, data: { a: 'b' } },
      { fieldManager: 'test' },
    );
    const raw = await client.get(ConfigMap, { namespace: n, name: 'noisy' });
    assert.ok(raw.metadata.managedFields?.length, 'the apiserver did send managedFields');

    const inf = createInformer(client, ConfigMap, { namespace: n });
    inf.start();
    try {
      await inf.waitForSync();
      const stored = inf.store.get(`${n}/noisy`);
      assert.ok(stored);
      assert.equal(stored.metadata.managedFields, undefined);
      assert.deepEqual(stored.metadata.annotations, { keep: 'yes' });
      assert.deepEqual(stored.data, { a: 'b' });
      assert.ok(Object.isFrozen(stored) && Object.isFrozen(stored.metadata) && Object.isFrozen(stored.data));
      assert.throws(() => {
        (stored.data as Record<string, string>).a = 'mutated';
      }, TypeError);
      // A copy is how a reconciler edits what it read.
      const copy = structuredClone(stored);
      copy.data = { a: 'edited' };
      assert.equal(inf.store.get(`${n}/noisy`)?.data?.a, 'b');
    } finally {
      await inf.stop();
    }
  });

  it('keeps only metadata in a metadata-only informer, and follows label changes and deletes', async () => {
    const n = await ns('metaonly');
    await client.create(Secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace: n }, stringData: { password: 'hunter2' } });
    const inf = createInformer(client, Secret, { namespace: n, metadataOnly: true });
    const seen: Seen = [];
    record(inf, seen);
    inf.start();
    try {
      await inf.waitForSync();
      const s1 = inf.store.get(`${n}/s1`);
      assert.equal(s1?.kind, 'PartialObjectMetadata');
      assert.equal(s1?.apiVersion, 'meta.k8s.io/v1');
      assert.equal((s1 as unknown as { data?: unknown }).data, undefined, 'no secret data in memory');
      assert.ok(s1?.metadata.uid);

      await client.patch(Secret, { namespace: n, name: 's1' }, { metadata: { labels: { tier: 'gold' } } }, 'merge');
      await client.create(Secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's2', namespace: n }, stringData: { k: 'v' } });
      await client.delete(Secret, { namespace: n, name: 's1' });
      await eventually('metadata events', () => (seen.length >= 4 ? true : undefined), 30_000);
      assert.deepEqual(
        seen.map((s) => `${s[0]} ${s[1]}`),
        ['add-initial s1', 'update s1', 'add s2', 'delete s1'],
      );
      const s2 = inf.store.get(`${n}/s2`);
      assert.equal(s2?.kind, 'PartialObjectMetadata');
      assert.equal((s2 as unknown as { data?: unknown }).data, undefined);
    } finally {
      await inf.stop();
    }
  });

  it('replays the store to a handler added after sync, and survives a handler that throws', async () => {
    const n = await ns('late');
    await client.create(ConfigMap, cm(n, 'a'));
    const errors: string[] = [];
    const inf = createInformer(client, ConfigMap, { namespace: n, onError: (_e, ctx) => errors.push(ctx) });
    inf.start();
    try {
      await inf.waitForSync();
      const seen: Seen = [];
      inf.on('add', () => {
        throw new Error('handler bug');
      });
      record(inf, seen);
      assert.deepEqual(seen, [['add-initial', 'a']]);
      await client.create(ConfigMap, cm(n, 'b'));
      await eventually('b added', () => (seen.length >= 2 ? true : undefined), 30_000);
      assert.deepEqual(seen[1], ['add', 'b']);
      assert.ok(errors.some((c) => c.endsWith('event handler threw')));
    } finally {
      await inf.stop();
    }
  });

  it('maintains user indexes as objects change', async () => {
    const n = await ns('indexed');
    await client.create(ConfigMap, cm(n, 'x', {}, { team: 'red' }));
    await client.create(ConfigMap, cm(n, 'y', {}, { team: 'red' }));
    const inf = createInformer(client, ConfigMap, { namespace: n });
    inf.store.addIndex('team', (o) => (o.metadata.labels?.team ? [o.metadata.labels.team] : []));
    inf.start();
    try {
      await inf.waitForSync();
      const team = (t: string) => inf.store.byIndex('team', t).map((o) => o.metadata.name).sort();
      assert.deepEqual(team('red'), ['x', 'y']);
      await client.patch(ConfigMap, { namespace: n, name: 'y' }, { metadata: { labels: { team: 'blue' } } }, 'merge');
      await eventually('y moved to blue', () => (team('blue').length === 1 ? true : undefined), 30_000);
      assert.deepEqual(team('red'), ['x']);
      assert.deepEqual(team('blue'), ['y']);
    } finally {
      await inf.stop();
    }
  });

  it('delivers periodic resyncs as updates with the same object', async () => {
    const n = await ns('resync');
    await client.create(ConfigMap, cm(n, 'r'));
    const inf = createInformer(client, ConfigMap, { namespace: n, resyncPeriodMs: 200 });
    const same: boolean[] = [];
    inf.on('update', (o, nw) => same.push(o === nw));
    inf.start();
    try {
      await inf.waitForSync();
      await eventually('two resyncs', () => (same.length >= 2 ? true : undefined), 10_000);
      assert.ok(same.every(Boolean));
    } finally {
      await inf.stop();
    }
  });

  it('shares one informer per (kind, namespace, selector) and stops it with the last reference', async () => {
    const n = await ns('shared');
    const cache = createCache(client);
    cache.start();
    try {
      const a = cache.informerFor(ConfigMap, { namespace: n });
      const b = cache.informerFor(ConfigMap, { namespace: n });
      const other = cache.informerFor(ConfigMap, { namespace: n, labelSelector: 'x=y' });
      assert.equal(a.store, b.store, 'same key, same informer');
      assert.notEqual(a.store, other.store);
      assert.equal(cache.size(), 2);
      assert.throws(() => cache.informerFor(ConfigMap, { namespace: n, transform: (o) => o }), /different transform/);
      assert.equal(cache.size(), 2);

      const seenA: string[] = [];
      const seenB: string[] = [];
      a.on('add', (o) => seenA.push(o.metadata.name ?? ''));
      b.on('add', (o) => seenB.push(o.metadata.name ?? ''));
      assert.equal(await cache.waitForSync(AbortSignal.timeout(30_000)), true);

      await a.stop(); // releases a's reference and a's handlers only
      assert.equal(cache.size(), 2);
      await client.create(ConfigMap, cm(n, 'after-a-stopped'));
      await eventually('b sees the add', () => (seenB.includes('after-a-stopped') ? true : undefined), 30_000);
      assert.deepEqual(seenA, [], 'handlers registered through a stopped handle are gone');
      assert.equal(b.store.get(`${n}/after-a-stopped`)?.metadata.name, 'after-a-stopped');

      await b.stop();
      assert.equal(cache.size(), 1, 'last reference gone: informer stopped and dropped');
      await other.stop();
      assert.equal(cache.size(), 0);

      const again = cache.informerFor(ConfigMap, { namespace: n });
      assert.notEqual(again.store, b.store, 'a fresh informer after a full release');
      await again.waitForSync(AbortSignal.timeout(30_000));
      assert.ok(again.store.get(`${n}/after-a-stopped`));
      await again.stop();
    } finally {
      await cache.stop();
    }
  });

  it('answers get and list from the cache, starting an informer on first use', async () => {
    const n = await ns('reads');
    await client.create(ConfigMap, cm(n, 'one', { v: '1' }, { app: 'web', tier: 'front' }));
    await client.create(ConfigMap, cm(n, 'two', {}, { app: 'web', tier: 'back' }));
    await client.create(ConfigMap, cm(n, 'three', {}, { app: 'db' }));
    const cache = createCache(client);
    await assert.rejects(cache.get(ConfigMap, { namespace: n, name: 'one' }), /start\(\) it/);
    cache.start();
    try {
      assert.equal((await cache.get(ConfigMap, { namespace: n, name: 'one' }))?.data?.v, '1');
      assert.equal(await cache.get(ConfigMap, { namespace: n, name: 'missing' }), undefined);
      assert.equal(cache.size(), 1, 'one informer for the whole kind serves every read');

      const names = (xs: KubeObject[]) => xs.map((x) => x.metadata.name).sort();
      assert.deepEqual(names(await cache.list(ConfigMap, { namespace: n })), ['one', 'three', 'two']);
      assert.deepEqual(names(await cache.list(ConfigMap, { namespace: n, labelSelector: 'app=web' })), ['one', 'two']);
      assert.deepEqual(names(await cache.list(ConfigMap, { namespace: n, labelSelector: 'app=web,tier!=front' })), ['two']);
      assert.deepEqual(await cache.list(ConfigMap, { namespace: 'no-such-namespace' }), []);

      const byApp = cache.informerFor(ConfigMap);
      byApp.store.addIndex('app', (o) => (o.metadata.labels?.app ? [o.metadata.labels.app] : []));
      assert.deepEqual(names(await cache.list(ConfigMap, { namespace: n, index: { name: 'app', value: 'web' } })), ['one', 'two']);
      await byApp.stop();

      // Writes show up in later reads once the watch delivers them.
      await client.patch(ConfigMap, { namespace: n, name: 'one' }, { data: { v: '2' } }, 'merge');
      await eventually('cache sees v=2', async () => ((await cache.get(ConfigMap, { namespace: n, name: 'one' }))?.data?.v === '2' ? true : undefined), 30_000);

      assert.equal((await cache.get(Namespace, { name: n }))?.metadata.name, n, 'cluster-scoped kinds too');
      const health = cache.health();
      assert.equal(health.synced, true);
      assert.deepEqual(health.stalled, []);
      assert.equal(health.informers.length, 2);
      const meta = await cache.list(ConfigMap, { namespace: n, labelSelector: 'app=db', metadataOnly: true });
      assert.deepEqual(
        meta.map((m) => [m.kind, m.metadata.name]),
        [['PartialObjectMetadata', 'three']],
      );
    } finally {
      await cache.stop();
    }
  });
});
