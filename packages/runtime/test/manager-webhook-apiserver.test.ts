// Webhook servers run by the manager, called by a real kube-apiserver:
// - they serve before the manager is ready, and /readyz checks them;
// - on shutdown they keep answering while reconciles drain, and stop after;
// - they run on every replica: with the leader SIGKILLed, admission through the standby keeps
//   working — before the standby leads and after it took over.
//
// How the apiserver reaches each replica: in a cluster, the configuration names a Service and
// the apiserver calls whichever ready replica it picks, so what matters is that every replica,
// standby included, serves and reports ready. Here each replica installs its own configuration
// (its own URL, scoped by an objectSelector on `tugboat.dev/replica=<identity>`), so a test can
// send a request to one replica in particular and see in the denial which one answered. With
// `failurePolicy: Fail`, the requests for the dead replica failing shows the calls are real.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { createClient, type Client } from '../src/client.js';
import { controller } from '../src/controller.js';
import { ConfigMap, Namespace } from '../src/kinds.js';
import { Manager } from '../src/manager.js';
import { createRegistry } from '../src/metrics.js';
import { REPLICA_LABEL, replicaWebhook } from './fixtures/replica-webhook.js';
import { eventually } from './support/eventually.js';
import { startManager, testLogger } from './support/managers.js';
import { startJsonLinesChild, type Child as ChildOf } from './support/child.js';

const WORK = 'whm-work';
const HA = 'whm-ha';
const LEASE = { id: 'whm-le', namespace: 'default', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 };

interface ChildEvent {
  event: string;
  identity: string;
  healthUrl?: string;
}

type Child = ChildOf<ChildEvent>;

function startChild(cp: ControlPlane, identity: string): Child {
  return startJsonLinesChild<ChildEvent>(fileURLToPath(new URL('./fixtures/webhook-child.ts', import.meta.url)), [cp.kubeconfigPath, identity, LEASE.id, HA]);
}

let seq = 0;
/** A ConfigMap that the webhook of `replica` (only) admits; `forbidden` makes it deny. */
function forReplica(namespace: string, replica: string, forbidden: boolean): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${replica}-${++seq}`, namespace, labels: { [REPLICA_LABEL]: replica } },
    data: forbidden ? { forbidden: 'x' } : { ok: 'x' },
  };
}

/** Admission through `replica`'s webhook: a forbidden object is refused by that replica, a clean one admitted. */
async function admitsThrough(client: Client, namespace: string, replica: string): Promise<void> {
  await assert.rejects(client.create(ConfigMap, forReplica(namespace, replica, true)), new RegExp(`${replica} refused: the key "forbidden" is reserved`));
  await client.create(ConfigMap, forReplica(namespace, replica, false));
}

async function readyz(url: string | undefined): Promise<{ code: number; body: string }> {
  const res = await fetch(`${url}/readyz?verbose`);
  return { code: res.status, body: await res.text() };
}

describe('webhook servers in the manager, on a real apiserver', () => {
  let cp: ControlPlane;
  let client: Client;
  const children: Child[] = [];

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    for (const name of [WORK, HA]) await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  });
  after(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await client?.close();
    await cp?.stop();
  });

  it('serves before the manager is ready, keeps serving while reconciles drain, and stops after them', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reconcileStarted = false;
    let reconcileFinished = false;
    const registry = createRegistry();
    const mgr = await Manager.create({ kubeconfig: cp.kubeconfigPath, registry, handleSignals: false, log: testLogger(), healthPort: 0, bindAddress: '127.0.0.1' });
    const server = replicaWebhook(mgr.client, 'solo', registry);
    mgr.addWebhookServer(server);
    mgr.add(
      controller('slow')
        .for(ConfigMap, { namespace: WORK })
        .reconcile(async () => {
          reconcileStarted = true;
          await gate;
          reconcileFinished = true;
        }),
    );
    assert.match((await server.ready()) ?? '', /has not started/);
    const servingWhenSynced = mgr.synced.then(() => server.ready());
    const running = mgr.start();
    running.catch(() => undefined);
    assert.equal(await servingWhenSynced, undefined, 'the webhook serves by the time caches have synced');

    const ready = await eventually('ready', async () => {
      const r = await readyz(mgr.healthUrl);
      return r.code === 200 ? r.body : undefined;
    });
    assert.match(ready, /\[\+\]webhook ok/);
    assert.match(ready, /\[\+\]informers ok/);
    await admitsThrough(client, WORK, 'solo');

    // A server added to the running manager starts at once and gets its own check.
    const late = replicaWebhook(mgr.client, 'solo-late', registry);
    mgr.addWebhookServer(late);
    await eventually('the late webhook is ready', async () => ((await fetch(`${mgr.healthUrl}/readyz/webhook-2`)).status === 200 ? true : undefined));
    await eventually('the late webhook is installed', async () => {
      await admitsThrough(client, WORK, 'solo-late');
      return true;
    });

    // A reconcile in flight holds the shutdown; admission keeps working meanwhile.
    await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'slow', namespace: WORK } });
    await eventually('reconcile started', () => (reconcileStarted ? true : undefined));
    const stopping = mgr.stop();
    await admitsThrough(client, WORK, 'solo');
    assert.equal(await server.ready(), undefined, 'still serving while the reconcile drains');
    assert.equal(reconcileFinished, false);

    release();
    await stopping;
    await running;
    assert.equal(reconcileFinished, true);
    assert.match((await server.ready()) ?? '', /not listening/);
    assert.match((await late.ready()) ?? '', /not listening/);
    // The configuration is still installed and fails closed: the apiserver really called us before.
    await assert.rejects(client.create(ConfigMap, forReplica(WORK, 'solo', false)), /failed calling webhook/);
  });

  it('start() fails, and releases what it started, when a webhook server cannot listen', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const registry = createRegistry();
      const mgr = await Manager.create({ kubeconfig: cp.kubeconfigPath, registry, handleSignals: false, log: testLogger(), healthPort: 0, bindAddress: '127.0.0.1' });
      mgr.addWebhookServer(replicaWebhook(mgr.client, 'blocked', registry, port));
      mgr.add(controller('never').for(ConfigMap, { namespace: WORK }).reconcile(() => undefined));
      await assert.rejects(mgr.start(), /EADDRINUSE/);
      assert.equal(mgr.cache.size(), 0, 'the caches were stopped');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('every replica serves admission: kill the leader and the standby keeps admitting, before and after it takes over', async () => {
    // Replica a leads, in its own process so it can be killed without a goodbye.
    const a = startChild(cp, 'replica-a');
    children.push(a);
    await eventually('a leads', () => (a.events.some((e) => e.event === 'leader') ? true : undefined), 60_000);
    const aHealth = a.events.find((e) => e.event === 'synced')?.healthUrl;

    // Replica b is a warm standby in this process.
    const registry = createRegistry();
    const bClient = await createClient({ kubeconfig: cp.kubeconfigPath });
    const b = await startManager(cp, [controller('webhook-child').for(ConfigMap, { namespace: HA }).reconcile(() => undefined)], {
      registry,
      leaderElection: LEASE,
      identity: 'replica-b',
      healthPort: 0,
      bindAddress: '127.0.0.1',
      waitForLeader: false,
      webhooks: [replicaWebhook(bClient, 'replica-b', registry)],
    });
    try {
      assert.equal(b.mgr.isLeader(), false);

      // Both are ready, the standby included: a Service would send admission to either.
      for (const url of [aHealth, b.mgr.healthUrl]) {
        const r = await eventually(`ready at ${url}`, async () => {
          const got = await readyz(url);
          return got.code === 200 ? got : undefined;
        });
        assert.match(r.body, /\[\+\]webhook ok/);
      }
      await admitsThrough(client, HA, 'replica-a');
      await admitsThrough(client, HA, 'replica-b');
      assert.equal(b.mgr.isLeader(), false, 'b answered admission as a standby');

      // Kill the leader. Until its Lease expires nobody leads; admission through b goes on.
      a.proc.kill('SIGKILL');
      await a.exited;
      const leaderWhileChecking = b.mgr.isLeader();
      await admitsThrough(client, HA, 'replica-b');
      console.log(`# admission through the standby right after the leader died (b leading: ${leaderWhileChecking})`);
      await assert.rejects(client.create(ConfigMap, forReplica(HA, 'replica-a', false)), /failed calling webhook/, 'the dead replica is really gone');

      await eventually('b takes over', () => (b.mgr.isLeader() ? true : undefined), 30_000);
      await admitsThrough(client, HA, 'replica-b');
      const after = await readyz(b.mgr.healthUrl);
      assert.equal(after.code, 200);
      assert.match(after.body, /\[\+\]webhook ok/);
    } finally {
      await b.stop();
      await bClient.close();
    }
  });
});
