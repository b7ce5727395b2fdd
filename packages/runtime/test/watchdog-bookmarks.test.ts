// The stall watchdog must tell a dead watch from a quiet one. On a kind where nothing in the
// informer's selection changes, the only sign of life is the bookmark the apiserver sends
// about once a minute (when its store has moved on). With a stall period above that interval,
// bookmarks alone must keep the watch alive: no restart, no "stalled" in health, and the
// resume point (resourceVersion) moves forward without a single event.
//
// This takes about two minutes of wall time because the apiserver's bookmark interval is a
// fixed minute; shorter stall periods are only sound for selections that change more often
// (see watch-faults.test.ts for the watchdog firing on a silent connection).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { createClient, type Client } from '../src/client.js';
import { createInformer } from '../src/informer.js';
import { ConfigMap, Namespace } from '../src/kinds.js';

describe('stall watchdog on a quiet kind', () => {
  let cp: ControlPlane;
  let client: Client;

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
  });

  after(async () => {
    await client?.close();
    await cp?.stop();
  });

  it('does not fire while bookmarks arrive, and bookmarks advance the resourceVersion', async () => {
    for (const name of ['idle', 'elsewhere']) await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const errors: string[] = [];
    const inf = createInformer(client, ConfigMap, {
      namespace: 'idle',
      stallTimeoutMs: 75_000,
      // The server keeps the watch open for 300-600 s, so only bookmarks can show it is alive.
      watchTimeoutSeconds: 300,
      onError: (e, ctx) => errors.push(`${ctx}: ${String(e)}`),
    });
    let events = 0;
    inf.addHandler({ onAdd: () => events++, onUpdate: () => events++, onDelete: () => events++ });
    // Writes outside the informer's namespace move the apiserver's store forward, which is what
    // makes it send bookmarks; they never reach the informer as events.
    let ticking = true;
    const ticker = (async () => {
      let i = 0;
      await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tick', namespace: 'elsewhere' }, data: { i: '0' } });
      while (ticking) {
        await sleep(5_000);
        await client.update(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tick', namespace: 'elsewhere' }, data: { i: String(++i) } });
      }
    })();
    inf.start();
    try {
      await inf.waitForSync();
      const rv0 = Number(inf.lastSyncResourceVersion());
      const deadline = Date.now() + 130_000;
      while (Date.now() < deadline) {
        assert.equal(inf.health().stalled, false, `stalled after ${inf.health().idleMs} ms idle; errors: ${errors.join('; ')}`);
        await sleep(1_000);
      }
      const stats = inf.stats();
      assert.equal(stats.stalls, 0, `watchdog fired: ${errors.join('; ')}`);
      assert.equal(stats.watches, 1, 'the one watch stayed open the whole time');
      assert.ok(stats.bookmarks >= 2, `bookmarks: ${stats.bookmarks}`);
      assert.equal(events, 0);
      assert.equal(stats.events, 0);
      assert.ok(Number(inf.lastSyncResourceVersion()) > rv0, 'bookmarks moved the resume point forward');
      assert.deepEqual(errors, []);
    } finally {
      ticking = false;
      await ticker;
      await inf.stop();
    }
  });
});
