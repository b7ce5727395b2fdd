// Label-mode sharding against a real kube-apiserver: a mutating webhook stamps the shard label
// on new objects, two managers with `sharding: { shards: 2 }` reconcile disjoint sets, and each
// one's informers — the apiserver filtering them by label — hold only that shard's objects and
// children. Objects that existed before the labeler are handled in hash mode (and cached by both
// shards) until relabelShards() labels them; then both caches hold only their own shard.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { createClient, type Client } from '../src/client.js';
import { controller, type ControllerDefinition } from '../src/controller.js';
import { ConfigMap, Namespace } from '../src/kinds.js';
import type { Manager } from '../src/manager.js';
import { createRegistry } from '../src/metrics.js';
import type { Kind } from '../src/object.js';
import { SHARD_LABEL, shardOf, unlabeledSelector } from '../src/sharding.js';
import { relabelShards, shardLabeler } from '../src/shardlabels.js';
import { createWebhookServer, type WebhookServer } from '../src/webhook.js';
import { installCrd, Mirror } from './fixtures/mirror.js';
import { eventually } from './support/eventually.js';
import { startManager, type TestManager } from './support/managers.js';

const NS = 'lshard';
const SHARDS = 2;

const mirror = (name: string, labels?: Record<string, string>) =>
  Mirror.make({ metadata: { name, namespace: NS, ...(labels ? { labels } : {}) }, spec: { data: { k: name }, copies: 1 } });

interface Seen {
  reconciled: Set<string>;
  absent: Set<string>;
  count: Map<string, number>;
}

/**
 * One child ConfigMap per Mirror, applied with the Mirror as owner (so it inherits the shard
 * label). Trigger ConfigMaps (`role=trigger`) name a Mirror to reconcile in an annotation.
 */
function shardedController(seen: Seen): ControllerDefinition {
  return controller('lsharded')
    .for(Mirror, { namespace: NS })
    .owns(ConfigMap, { namespace: NS })
    .watches(ConfigMap, (cm) => ({ namespace: NS, name: cm.metadata.annotations?.['mirror'] ?? '' }), { namespace: NS, labelSelector: 'role=trigger' })
    .reconcile(async (req, ctx) => {
      seen.reconciled.add(req.name);
      seen.count.set(req.name, (seen.count.get(req.name) ?? 0) + 1);
      const m = await ctx.get(Mirror, req);
      if (!m) {
        seen.absent.add(req.name);
        return;
      }
      await ctx.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${req.name}-copy` }, data: m.spec.data }, { owner: m });
    });
}

/** The keys in the shared informer a controller of `mgr` watches with `labelSelector`. */
async function cached(mgr: Manager, kind: Kind, labelSelector: string): Promise<string[]> {
  const handle = mgr.cache.informerFor(kind, { namespace: NS, labelSelector });
  try {
    return handle.store.keys().map((k) => k.slice(NS.length + 1)).sort();
  } finally {
    await handle.stop();
  }
}

const sorted = (xs: Iterable<string>) => [...xs].sort();

describe('label-mode sharding on a real apiserver', () => {
  let cp: ControlPlane;
  let client: Client;
  let webhooks: WebhookServer | undefined;
  const managers: TestManager[] = [];

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    await installCrd(client, Mirror);
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  });
  after(async () => {
    for (const m of managers) await m.stop();
    await webhooks?.stop();
    await client?.close();
    await cp?.stop();
  });

  it('two shards reconcile disjoint sets and each caches only its own objects and their children', async () => {
    // Objects from before label mode: no label.
    const early = Array.from({ length: 6 }, (_, i) => `early-${i}`);
    for (const n of early) await client.create(Mirror, mirror(n));

    webhooks = createWebhookServer({
      host: '127.0.0.1',
      port: 0,
      certificates: { ipAddresses: ['127.0.0.1'] },
      install: { client, name: 'lshard-labeler' },
      registry: createRegistry(),
    });
    shardLabeler(Mirror, SHARDS).register(webhooks);
    await webhooks.start();

    const seen: Seen[] = [0, 1].map(() => ({ reconciled: new Set<string>(), absent: new Set<string>(), count: new Map<string, number>() }));
    for (const i of [0, 1]) managers.push(await startManager(cp, [shardedController(seen[i]!)], { sharding: { shards: SHARDS, index: i } }));
    const [a, b] = managers as [TestManager, TestManager];

    const late = Array.from({ length: 20 }, (_, i) => `late-${i}`);
    for (const n of late) {
      const created = await client.create(Mirror, mirror(n));
      assert.equal(created.metadata.labels?.[SHARD_LABEL], String(shardOf(`${NS}/${n}`, SHARDS)), `${n} was labelled at admission with its hash shard`);
    }
    const all = [...early, ...late];
    const shardOfName = (n: string) => shardOf(`${NS}/${n}`, SHARDS);
    const mine = (i: number, names: string[]) => names.filter((n) => shardOfName(n) === i).sort();

    await eventually('every mirror reconciled and its child written', async () => {
      if (seen[0]!.reconciled.size + seen[1]!.reconciled.size < all.length) return undefined;
      const children = await client.list(ConfigMap, { namespace: NS, labelSelector: SHARD_LABEL });
      return children.items.length === all.length ? true : undefined;
    });
    await sleep(300);
    for (const i of [0, 1]) assert.deepEqual(sorted(seen[i]!.reconciled), mine(i, all), `shard ${i} reconciled exactly its hash shard`);
    assert.ok(mine(0, all).length > 3 && mine(1, all).length > 3, 'both shards have work');

    // Children carry their owner's shard, also for owners that are not labelled yet.
    for (const cm of (await client.list(ConfigMap, { namespace: NS, labelSelector: SHARD_LABEL })).items) {
      const owner = (cm.metadata.name ?? '').replace(/-copy$/, '');
      assert.equal(cm.metadata.labels?.[SHARD_LABEL], String(shardOfName(owner)), `${cm.metadata.name} inherits its owner's shard`);
    }

    // What each cache holds: labelled objects and children only for its shard; the unlabelled
    // early objects in both (that is the cost of hash mode, until they are labelled).
    const unlabelled = unlabeledSelector(SHARDS);
    for (const [i, t] of [a, b].entries()) {
      assert.deepEqual(await cached(t.mgr, Mirror, `${SHARD_LABEL}=${i}`), mine(i, late), `shard ${i}: labelled mirrors`);
      assert.deepEqual(await cached(t.mgr, Mirror, unlabelled), sorted(early), `shard ${i}: unlabelled mirrors (all of them)`);
      assert.deepEqual(await cached(t.mgr, ConfigMap, `${SHARD_LABEL}=${i}`), mine(i, all).map((n) => `${n}-copy`).sort(), `shard ${i}: children`);
      // No informer watches either kind unfiltered (the trigger source is the test's own selector).
      const names = t.mgr.cache.health().informers.map((h) => h.name).sort();
      assert.deepEqual(names, [
        `test.tugboat.dev/v1/Mirror namespace=${NS} labels=${SHARD_LABEL} notin (0,1)`,
        `test.tugboat.dev/v1/Mirror namespace=${NS} labels=${SHARD_LABEL}=${i}`,
        `v1/ConfigMap namespace=${NS} labels=role=trigger`,
        `v1/ConfigMap namespace=${NS} labels=${SHARD_LABEL}=${i}`,
      ]);
    }

    // Label the early objects: nothing moves, and both caches shrink to their own shard.
    assert.deepEqual(await relabelShards(client, Mirror, SHARDS, { namespace: NS }), { labelled: early.length, skipped: 0 });
    assert.deepEqual(await relabelShards(client, Mirror, SHARDS, { namespace: NS }), { labelled: 0, skipped: 0 }, 'a second run has nothing to do');
    for (const [i, t] of [a, b].entries()) {
      await eventually(`shard ${i} holds only its own mirrors`, async () =>
        (await cached(t.mgr, Mirror, unlabelled)).length === 0 && (await cached(t.mgr, Mirror, `${SHARD_LABEL}=${i}`)).join() === mine(i, all).join() ? true : undefined,
      );
    }
    await sleep(300);
    for (const i of [0, 1]) assert.deepEqual(sorted(seen[i]!.reconciled), mine(i, all), `shard ${i}: relabelling moved nothing`);
    assert.deepEqual([...seen[0]!.absent, ...seen[1]!.absent], [], 'no shard saw a live object as gone');

    // A Watches() object's own shard label says nothing about the primary it maps to.
    const target = late.find((n) => shardOfName(n) === 0)!;
    const before = seen[0]!.count.get(target) ?? 0;
    await client.create(ConfigMap, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'trigger', namespace: NS, labels: { role: 'trigger', [SHARD_LABEL]: '1' }, annotations: { mirror: target } },
    });
    await eventually('the trigger reaches the target\'s shard', () => ((seen[0]!.count.get(target) ?? 0) > before ? true : undefined));
    assert.equal(seen[1]!.reconciled.has(target), false);

    // A pin against the hash wins, and the pinned shard also reconciles the deletion.
    const pinnedName = ['pin-a', 'pin-b', 'pin-c', 'pin-d'].find((n) => shardOfName(n) === 0)!;
    const created = await client.create(Mirror, mirror(pinnedName, { [SHARD_LABEL]: '1' }));
    assert.equal(created.metadata.labels?.[SHARD_LABEL], '1', 'the labeler keeps a valid pin');
    await eventually('the pinned shard reconciles it', () => (seen[1]!.reconciled.has(pinnedName) ? true : undefined));
    await client.delete(Mirror, { namespace: NS, name: pinnedName });
    await eventually('the pinned shard reconciles its deletion', () => (seen[1]!.absent.has(pinnedName) ? true : undefined));
    await sleep(300);
    assert.equal(seen[0]!.reconciled.has(pinnedName), false, 'its hash shard never saw it');
  });
});
