// On an apiserver with the WatchList feature turned off, sendInitialEvents is refused with 422
// Invalid. Informers must notice once, fall back to paginated LIST + WATCH for good, and work
// exactly as before.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { createClient, type Client } from '../src/client.js';
import { isInvalid } from '../src/errors.js';
import { createInformer } from '../src/informer.js';
import { ConfigMap, Namespace } from '../src/kinds.js';
import { eventually } from './support/eventually.js';

describe('WatchList fallback', () => {
  let cp: ControlPlane;
  let client: Client;

  before(async () => {
    cp = await startControlPlane({ apiserverArgs: ['--feature-gates=WatchList=false'] });
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fb' } });
  });

  after(async () => {
    await client?.close();
    await cp?.stop();
  });

  it('is refused by this apiserver', async () => {
    await assert.rejects(
      (async () => {
        for await (const _ of client.watch(ConfigMap, { namespace: 'fb', sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true, signal: AbortSignal.timeout(10_000) })) break;
      })(),
      (e: unknown) => isInvalid(e) && /sendInitialEvents/.test(e.message),
    );
  });

  for (const metadataOnly of [false, true]) {
    it(`falls back to LIST once and then follows changes (${metadataOnly ? 'metadata only' : 'full objects'})`, async () => {
      const name = metadataOnly ? 'meta' : 'full';
      for (let i = 0; i < 7; i++) await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-${i}`, namespace: 'fb', labels: { set: name } } });
      const contexts: string[] = [];
      const inf = createInformer(client, ConfigMap, { namespace: 'fb', labelSelector: `set=${name}`, pageSize: 3, metadataOnly, onError: (_e, ctx) => contexts.push(ctx) });
      inf.start();
      try {
        assert.equal(await inf.waitForSync(AbortSignal.timeout(30_000)), true);
        assert.equal(inf.store.size, 7);
        const stats = inf.stats();
        assert.equal(stats.watchListFallbacks, 1);
        assert.equal(stats.syncs, 1);
        assert.ok(contexts.some((c) => c.endsWith('WatchList refused, falling back to LIST')));

        await client.delete(ConfigMap, { namespace: 'fb', name: `${name}-0` });
        await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-new`, namespace: 'fb', labels: { set: name } } });
        await eventually('changes followed', () => (inf.store.size === 7 && inf.store.get(`fb/${name}-new`) && !inf.store.get(`fb/${name}-0`) ? true : undefined), 30_000);
        assert.equal(inf.store.get(`fb/${name}-new`)?.kind, metadataOnly ? 'PartialObjectMetadata' : 'ConfigMap');
        assert.equal(inf.stats().watchListFallbacks, 1, 'refused once, not retried on every watch');
      } finally {
        await inf.stop();
      }
    });
  }
});
