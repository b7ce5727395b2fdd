// A busy leader keeps its Lease. The manager's client is rate limited (here to 2 requests per
// second) and a controller keeps it saturated; Lease renewals that queued behind that work
// would miss a 3 s renew deadline within seconds and stop a healthy leader exactly when it is
// busiest. The manager renews through a client of its own, so leadership holds for the whole
// run. The first test shows the load is one that does lose a Lease renewed through the busy
// client, so the others cannot pass merely because the load was light.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { createClient, type Client } from '../src/client.js';
import { controller, type ControllerDefinition } from '../src/controller.js';
import { ConfigMap, Lease, Namespace } from '../src/kinds.js';
import { createLeaderElector } from '../src/leaderelection.js';
import { createRegistry, leaderElectionMetrics, restClientMetrics, type Registry } from '../src/metrics.js';
import { eventually } from './support/eventually.js';
import { startManager, testLogger, type TestManager } from './support/managers.js';

const TIMINGS = { namespace: 'default', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 } as const;
const LIMIT = { qps: 2, burst: 2 } as const;
const NS = 'busy-leader';
const OBJECTS = 100;
const WORKERS = 8;

interface Progress {
  started: number;
  done: number;
}

/** Each reconcile reads twice through the manager's client: 100 objects keep 2 qps busy for 100 s. */
function flood(progress: Progress): ControllerDefinition {
  return controller('flood')
    .for(ConfigMap, { namespace: NS })
    .withConcurrency(WORKERS)
    .reconcile(async (req, ctx) => {
      progress.started++;
      await ctx.client.get(ConfigMap, req, { signal: ctx.signal });
      await ctx.client.get(Namespace, { name: NS }, { signal: ctx.signal });
      progress.done++;
    });
}

/** rest_client_requests_total for one method, summed over codes and hosts. */
function requests(registry: Registry, method: string): number {
  let n = 0;
  for (const m of registry.expose().matchAll(/^rest_client_requests_total\{code="[^"]*",method="([A-Z]+)",host="[^"]*"\} (\d+)$/gm)) {
    if (m[1] === method) n += Number(m[2]);
  }
  return n;
}

/**
 * Watches a leading manager for `ms` while its controller floods the client, and checks that it
 * led throughout, renewed through counted requests, and that the flood never drained.
 */
async function assertKeepsLeading(t: TestManager, admin: Client, lease: string, identity: string, progress: Progress, ms: number): Promise<void> {
  let rejected: unknown;
  t.running.catch((e: unknown) => (rejected = e));
  const before = await admin.get(Lease, { namespace: TIMINGS.namespace, name: lease });
  const putsBefore = requests(t.registry, 'PUT');
  const status = leaderElectionMetrics(t.registry).masterStatus;
  const start = Date.now();
  // Workers start once leading and synced; the window counts from the first reconcile.
  const floodBy = start + 30_000;
  while (progress.started === 0) {
    assert.ok(Date.now() < floodBy, 'no reconcile started within 30 s');
    assert.equal(t.mgr.isLeader(), true, 'leadership lost before the flood started');
    await sleep(50);
  }
  const doneBefore = progress.done;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    assert.equal(rejected, undefined, 'start() rejected');
    assert.equal(t.mgr.isLeader(), true, `leadership lost ${ms - (deadline - Date.now())} ms into the flood`);
    assert.equal(status.get({ name: lease }), 1);
    await sleep(250);
  }
  const held = await admin.get(Lease, { namespace: TIMINGS.namespace, name: lease });
  assert.equal(held.spec?.holderIdentity, identity);
  assert.equal(held.spec?.leaseTransitions, before.spec?.leaseTransitions, 'the lease never changed hands');
  assert.notEqual(held.spec?.renewTime, before.spec?.renewTime, 'the lease was renewed');
  // The flood only reads, so every PUT is a renewal: at least one per renew deadline was needed
  // to lead throughout, and each is counted in rest_client_requests_total.
  const renewals = requests(t.registry, 'PUT') - putsBefore;
  assert.ok(renewals >= Math.floor(ms / TIMINGS.renewDeadlineMs), `only ${renewals} renewals counted in ${ms} ms`);
  assert.ok(progress.done > doneBefore, 'the leader kept reconciling');
  assert.ok(t.controllers[0]!.queue.len() > 0, 'the flood drained: the client was not saturated for the whole run');
}

describe('leader election under a saturated client', () => {
  let cp: ControlPlane;
  let admin: Client;

  before(async () => {
    cp = await startControlPlane();
    admin = await createClient({ kubeconfig: cp.kubeconfigPath });
    await admin.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (let i = 0; i < OBJECTS; i++) {
      await admin.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: NS }, data: { i: String(i) } });
    }
  });
  after(async () => {
    await admin?.close();
    await cp?.stop();
  });

  it('a Lease renewed through the busy client is lost (the load this suite puts on the leader)', async () => {
    const busy = await createClient({ kubeconfig: cp.kubeconfigPath, ...LIMIT });
    const elector = createLeaderElector(busy, { ...TIMINGS, id: 'shared-client', identity: 'shared' }, {}, { registry: createRegistry(), log: testLogger() });
    const election = new AbortController();
    const floodStop = new AbortController();
    let loops: Promise<void>[] = [];
    try {
      const outcome = elector.run(election.signal);
      await eventually('leads before the flood', () => (elector.isLeader() ? true : undefined));
      loops = Array.from({ length: WORKERS }, async () => {
        while (!floodStop.signal.aborted) await busy.get(Namespace, { name: NS }, { signal: floodStop.signal }).catch(() => undefined);
      });
      const result = await Promise.race([outcome, sleep(20_000, 'still leading' as const)]);
      assert.equal(result, 'lost', 'renewals queued behind the flood should miss the renew deadline');
    } finally {
      floodStop.abort();
      election.abort();
      await Promise.all(loops);
      await busy.close();
    }
  });

  it('a manager whose own client is saturated keeps leading: the Lease has a client of its own', async () => {
    const progress = { started: 0, done: 0 };
    const id = 'busy-leader';
    const t = await startManager(cp, [flood(progress)], {
      ...LIMIT,
      identity: 'busy',
      leaderElection: { ...TIMINGS, id },
      gracefulShutdownMs: 1000,
    });
    try {
      await assertKeepsLeading(t, admin, id, 'busy', progress, 20_000);
      await t.stop();
    } finally {
      // Without awaiting start(): after a failed assertion its rejection would hide the reason.
      await t.mgr.stop();
    }
    const released = await admin.get(Lease, { namespace: TIMINGS.namespace, name: id });
    assert.ok(!released.spec?.holderIdentity, 'released on stop although the manager client was saturated');
  });

  it('so does a manager given a client of ours: the Lease client is derived from it', async () => {
    const progress = { started: 0, done: 0 };
    const id = 'busy-leader-given';
    const registry = createRegistry();
    const rest = restClientMetrics(registry);
    const given = await createClient({
      kubeconfig: cp.kubeconfigPath,
      ...LIMIT,
      onRequest: (r) => rest.requests.inc({ code: r.code, method: r.method, host: r.host }),
    });
    try {
      const t = await startManager(cp, [flood(progress)], {
        client: given,
        registry,
        identity: 'given',
        leaderElection: { ...TIMINGS, id },
        gracefulShutdownMs: 1000,
      });
      try {
        await assertKeepsLeading(t, admin, id, 'given', progress, 10_000);
        await t.stop();
      } finally {
        await t.mgr.stop();
      }
      // The manager closed only what it made: the given client still works.
      await given.get(Namespace, { name: NS });
    } finally {
      await given.close();
    }
  });
});
