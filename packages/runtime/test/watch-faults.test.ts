// Informers under faults, on a real apiserver: an apiserver restart (watch resumes from its
// resourceVersion, nothing lost), etcd compaction plus restart (410 Gone, relist, store still
// right), and a connection that goes silent without closing (the stall watchdog restarts the
// watch and reports it until data flows again). The silent connection comes from a loopback
// relay that stops forwarding bytes; the apiserver behind it is the real one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { createCache } from '../src/cache.js';
import { controller } from '../src/controller.js';
import { Manager } from '../src/manager.js';
import { createRegistry } from '../src/metrics.js';
import { createLogger } from '../src/log.js';
import { createClient, type Client } from '../src/client.js';
import { isGone } from '../src/errors.js';
import { createInformer, type Informer } from '../src/informer.js';
import { ConfigMap, Namespace } from '../src/kinds.js';
import { eventually } from './support/eventually.js';
import { startFreezeProxy, type FreezeProxy } from './support/freeze-proxy.js';

const cm = (ns: string, name: string, data: Record<string, string> = {}): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });

function journal(inf: Informer<ConfigMap>): string[] {
  const log: string[] = [];
  inf.addHandler({
    onAdd: (o) => log.push(`add ${o.metadata.name}`),
    onUpdate: (old, o) => {
      if (old.metadata.resourceVersion !== o.metadata.resourceVersion) log.push(`update ${o.metadata.name} ${o.data?.v ?? ''}`);
    },
    onDelete: (o) => log.push(`delete ${o.metadata.name}`),
  });
  return log;
}

const count = (log: string[], entry: string) => log.filter((l) => l === entry).length;

describe('watches under faults', () => {
  let cp: ControlPlane;
  let client: Client;
  let proxy: FreezeProxy;

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    proxy = await startFreezeProxy(cp.server);
  });

  after(async () => {
    await proxy?.close();
    await client?.close();
    await cp?.stop();
  });

  // After a restart the apiserver can take a moment to serve writes again.
  const write = (fn: () => Promise<unknown>) => eventually('write accepted', () => fn().then(() => true), 60_000);

  it('recovers after the apiserver restarts, delivering each change made meanwhile exactly once', async () => {
    const n = 'restart';
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
    for (const name of ['a-1', 'a-2', 'a-3']) await client.create(ConfigMap, cm(n, name, { v: '1' }));
    const errors: string[] = [];
    const inf = createInformer(client, ConfigMap, { namespace: n, backoff: { initialMs: 200, maxMs: 2_000 }, onError: (e) => errors.push(String(e)) });
    const log = journal(inf);
    inf.start();
    try {
      await inf.waitForSync();
      const watchesBefore = inf.stats().watches;

      await cp.restartApiServer();
      // Written while the informer is still reconnecting (its backoff has not expired yet).
      await write(() => client.update(ConfigMap, { ...cm(n, 'a-1', { v: '2' }) }));
      await write(() => client.delete(ConfigMap, { namespace: n, name: 'a-2' }));
      for (let i = 1; i <= 5; i++) await write(() => client.create(ConfigMap, cm(n, `b-${i}`)));

      const want = ['a-1', 'a-3', 'b-1', 'b-2', 'b-3', 'b-4', 'b-5'].map((x) => `${n}/${x}`);
      await eventually('store caught up', () => (JSON.stringify(inf.store.keys().sort()) === JSON.stringify(want) ? true : undefined), 60_000);
      assert.equal(inf.store.get(`${n}/a-1`)?.data?.v, '2');
      for (let i = 1; i <= 5; i++) assert.equal(count(log, `add b-${i}`), 1, `add b-${i} once: ${log.join(', ')}`);
      assert.equal(count(log, 'update a-1 2'), 1);
      assert.equal(count(log, 'delete a-2'), 1);
      assert.ok(inf.stats().watches > watchesBefore, 'a new watch was opened');
      // A restarted apiserver's watch cache starts at etcd's current revision, past ours, so it
      // answers the resumed watch with 410 and the informer relists once (client-go does the
      // same). Resuming without a LIST is shown by the dropped-connection test below.
      assert.ok(inf.stats().syncs <= 2, `at most one relist, saw ${inf.stats().syncs} syncs`);
      assert.ok(errors.length > 0, 'the outage was reported to onError');
      assert.equal(inf.health().stalled, false);
    } finally {
      await inf.stop();
    }
  });

  it('resumes from its last resourceVersion after a dropped connection, without relisting', async () => {
    const n = 'dropped';
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
    await client.create(ConfigMap, cm(n, 'one', { v: '1' }));
    const viaProxy = await createClient({ kubeconfig: cp.kubeconfigPath, server: proxy.url });
    const inf = createInformer(viaProxy, ConfigMap, { namespace: n, backoff: { initialMs: 100, maxMs: 1_000 } });
    const log = journal(inf);
    inf.start();
    try {
      await inf.waitForSync();
      proxy.freeze();
      await client.update(ConfigMap, cm(n, 'one', { v: '2' }));
      await client.create(ConfigMap, cm(n, 'two'));
      // Thawing drops the frozen connection, as a TCP reset would.
      proxy.thaw();
      await eventually('caught up', () => (inf.store.get(`${n}/two`) && inf.store.get(`${n}/one`)?.data?.v === '2' ? true : undefined), 30_000);
      assert.deepEqual(log, ['add one', 'update one 2', 'add two']);
      assert.equal(inf.stats().syncs, 1, 'the watch cache still had the events: no relist');
      assert.ok(inf.stats().watches >= 2);
    } finally {
      proxy.thaw();
      await inf.stop();
      await viaProxy.close();
    }
  });

  it('relists after 410 Gone when its resourceVersion was compacted away, and ends up with the right store', async () => {
    const n = 'compact';
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
    for (const name of ['keep', 'change', 'remove']) await client.create(ConfigMap, cm(n, name, { v: '1' }));
    const viaProxy = await createClient({ kubeconfig: cp.kubeconfigPath, server: proxy.url });
    const inf = createInformer(viaProxy, ConfigMap, { namespace: n, backoff: { initialMs: 200, maxMs: 2_000 } });
    const log = journal(inf);
    inf.start();
    try {
      await inf.waitForSync();
      const staleRv = inf.lastSyncResourceVersion();
      assert.equal(inf.stats().syncs, 1);

      // Cut the informer off, change things it cannot see, compact them out of etcd's history
      // and restart the apiserver so its watch cache no longer remembers them either.
      proxy.freeze();
      await client.update(ConfigMap, cm(n, 'change', { v: '2' }));
      await client.delete(ConfigMap, { namespace: n, name: 'remove' });
      await client.create(ConfigMap, cm(n, 'new'));
      await cp.compactEtcd();
      await cp.restartApiServer();

      // A plain watch from the stale version is told exactly that.
      await eventually(
        'stale watch answered 410',
        async () => {
          try {
            for await (const _ of client.watch(ConfigMap, { namespace: n, resourceVersion: staleRv, signal: AbortSignal.timeout(10_000) })) break;
          } catch (e) {
            if (isGone(e)) return true;
            throw e;
          }
          return undefined;
        },
        60_000,
      );

      proxy.thaw();
      const want = ['change', 'keep', 'new'].map((x) => `${n}/${x}`);
      await eventually('store relisted', () => (JSON.stringify(inf.store.keys().sort()) === JSON.stringify(want) ? true : undefined), 60_000);
      assert.equal(inf.store.get(`${n}/change`)?.data?.v, '2');
      assert.equal(inf.stats().syncs, 2, 'one sync at start, one after 410');
      assert.deepEqual(log.slice(3).sort(), ['add new', 'delete remove', 'update change 2']);
      assert.ok(Number(inf.lastSyncResourceVersion()) > Number(staleRv));
    } finally {
      proxy.thaw();
      await inf.stop();
      await viaProxy.close();
    }
  });

  it('restarts a watch that goes silent, reports it stalled, and catches up when data flows again', async () => {
    const n = 'stall';
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
    await client.create(ConfigMap, cm(n, 'beat', { v: '0' }));
    const viaProxy = await createClient({ kubeconfig: cp.kubeconfigPath, server: proxy.url });
    // A short stall period is only sound for a selection that changes more often than that:
    // the writer below updates it every 250 ms.
    const cache = createCache(viaProxy, { stallTimeoutMs: 3_000, backoff: { initialMs: 100, maxMs: 1_000 } });
    const inf = cache.informerFor(ConfigMap, { namespace: n });
    let beat = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        beat++;
        await write(() => client.update(ConfigMap, cm(n, 'beat', { v: String(beat) })));
        await sleep(250);
      }
    })();
    cache.start();
    try {
      await cache.waitForSync();
      // Busy but healthy: no false alarms.
      for (let i = 0; i < 30; i++) {
        assert.deepEqual(cache.health().stalled, []);
        await sleep(100);
      }
      assert.equal(inf.stats().stalls, 0);

      proxy.freeze();
      await eventually('reported stalled', () => (cache.health().stalled.includes(inf.name) ? true : undefined), 15_000);
      // Reconnects through the dead path are watched too: they time out, and it stays stalled.
      await eventually('second stall', () => (inf.stats().stalls >= 2 ? true : undefined), 15_000);
      assert.deepEqual(cache.health().stalled, [inf.name]);
      assert.equal(cache.health().synced, true, 'stalled is not the same as unsynced');

      proxy.thaw();
      await eventually('recovered', () => (cache.health().stalled.length === 0 ? true : undefined), 15_000);
      writing = false;
      await writer;
      await eventually('caught up with the last beat', () => (inf.store.get(`${n}/beat`)?.data?.v === String(beat) ? true : undefined), 15_000);
    } finally {
      writing = false;
      await writer;
      proxy.thaw();
      await cache.stop();
      await viaProxy.close();
    }
  });

  it("fails the manager's /readyz while a watch is stalled, naming it, and passes again once data flows", async () => {
    const n = 'stall-readyz';
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
    await client.create(ConfigMap, cm(n, 'beat', { v: '0' }));
    const viaProxy = await createClient({ kubeconfig: cp.kubeconfigPath, server: proxy.url });
    const mgr = await Manager.create({
      client: viaProxy,
      registry: createRegistry(),
      log: createLogger({ level: 'error' }),
      healthPort: 0,
      bindAddress: '127.0.0.1',
      gracefulShutdownMs: 0,
      cache: { stallTimeoutMs: 3_000, backoff: { initialMs: 100, maxMs: 1_000 } },
    });
    mgr.add(controller('readyz-stall').for(ConfigMap, { namespace: n }).reconcile(async () => undefined));
    let writing = true;
    const writer = (async () => {
      for (let beat = 1; writing; beat++) {
        await write(() => client.update(ConfigMap, cm(n, 'beat', { v: String(beat) })));
        await sleep(250);
      }
    })();
    const readyz = async () => {
      const r = await fetch(`${mgr.healthUrl}/readyz`);
      return { status: r.status, body: await r.text() };
    };
    const started = mgr.start();
    try {
      await mgr.synced;
      await eventually('ready', async () => ((await readyz()).status === 200 ? true : undefined), 15_000);
      proxy.freeze();
      const stalled = await eventually('readyz fails', async () => {
        const r = await readyz();
        return r.status === 500 ? r : undefined;
      }, 15_000);
      assert.match(stalled.body, /\[-\]informers failed: watches stalled: .*ConfigMap/);
      proxy.thaw();
      await eventually('ready again', async () => ((await readyz()).status === 200 ? true : undefined), 15_000);
    } finally {
      writing = false;
      await writer;
      proxy.thaw();
      await mgr.stop();
      await started.catch(() => undefined);
      await viaProxy.close();
    }
  });
});
