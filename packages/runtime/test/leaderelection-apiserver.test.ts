// Leader election between real processes on a real apiserver: one leader reconciles while a
// warm standby only watches; SIGKILL the leader and the standby takes over once the Lease
// expires; a graceful stop releases the Lease so the next standby takes over at once.
// Takeover times are printed (bench/ measures them); the test asserts what users rely on:
// exactly one replica reconciles, takeover happens, and never before the Lease allows it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { createClient, type Client } from '../src/client.js';
import { controller } from '../src/controller.js';
import { ConfigMap, Lease, Namespace } from '../src/kinds.js';
import { LeaderElectionLostError } from '../src/manager.js';
import { leaderElectionMetrics } from '../src/metrics.js';
import { eventually } from './support/eventually.js';
import { startManager } from './support/managers.js';
import { startJsonLinesChild, type Child as ChildOf } from './support/child.js';

const LEASE = { id: 'le-test', namespace: 'default', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 };
const NS = 'le';

interface ChildEvent {
  event: string;
  identity: string;
  at: number;
  name?: string;
}

type Child = ChildOf<ChildEvent>;

function startChild(cp: ControlPlane, identity: string): Child {
  return startJsonLinesChild<ChildEvent>(fileURLToPath(new URL('./fixtures/leader-child.ts', import.meta.url)), [cp.kubeconfigPath, NS, LEASE.id, identity]);
}

const has = (c: Child, event: string) => c.events.some((e) => e.event === event);

describe('leader election between processes', () => {
  let cp: ControlPlane;
  let client: Client;
  const children: Child[] = [];

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  });
  after(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await client?.close();
    await cp?.stop();
  });

  it('one leader reconciles, a warm standby takes over after a crash and after a graceful stop', async () => {
    // 1. A leads.
    const a = startChild(cp, 'replica-a');
    children.push(a);
    await eventually('a leads', () => (has(a, 'leader') ? true : undefined), 60_000);

    // 2. B starts as a standby in this process: caches sync although it does not lead.
    const bReconciled: { name: string; at: number }[] = [];
    const b = await startManager(
      cp,
      [
        controller('leader-child')
          .for(ConfigMap, { namespace: NS })
          .reconcile((req) => {
            bReconciled.push({ name: req.name, at: Date.now() });
          }),
      ],
      { leaderElection: LEASE, identity: 'replica-b', waitForLeader: false },
    );
    try {
      assert.equal(b.mgr.isLeader(), false);
      assert.equal(leaderElectionMetrics(b.registry).masterStatus.get({ name: LEASE.id }), 0);

      const names = ['one', 'two', 'three', 'four', 'five'];
      for (const n of names) await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n, namespace: NS } });
      await eventually('a reconciled all', () => (names.every((n) => a.events.some((e) => e.event === 'reconcile' && e.name === n)) ? true : undefined));
      await sleep(1000);
      assert.equal(bReconciled.length, 0, 'the standby does not reconcile');
      assert.equal(b.controllers[0]!.queue.len(), names.length, 'the standby queued every object: warm, nothing to list on takeover');

      // 3. Crash the leader: no release, so B must wait for the Lease to expire.
      const killedAt = Date.now();
      a.proc.kill('SIGKILL');
      await a.exited;
      const slack = LEASE.leaseDurationMs + LEASE.renewDeadlineMs + 4 * LEASE.retryPeriodMs;
      await eventually('b takes over', () => (bReconciled.length >= names.length ? true : undefined), slack + 5000);
      const crashTakeover = bReconciled[0]!.at - killedAt;
      console.log(`# takeover after SIGKILL of the leader: ${crashTakeover} ms (leaseDuration ${LEASE.leaseDurationMs} ms)`);
      assert.ok(crashTakeover <= slack, `takeover took ${crashTakeover} ms, more than leaseDuration + renewDeadline + retries (${slack} ms)`);
      // Safety: B last saw A renew at most ~one retry period before the kill, and must not
      // take over before that renewal's lease expired.
      assert.ok(crashTakeover >= LEASE.leaseDurationMs - 2 * LEASE.retryPeriodMs, `took over after ${crashTakeover} ms, before the lease could expire`);
      assert.equal(b.mgr.isLeader(), true);
      assert.equal(leaderElectionMetrics(b.registry).masterStatus.get({ name: LEASE.id }), 1);
      assert.deepEqual(new Set(bReconciled.map((r) => r.name)), new Set(names));
      const lease = await client.get(Lease, { namespace: 'default', name: LEASE.id });
      assert.equal(lease.spec?.holderIdentity, 'replica-b');
      assert.ok((lease.spec?.leaseTransitions ?? 0) >= 1);

      // 4. C waits as a standby; B stops gracefully and releases: C takes over without
      // waiting out the lease.
      const c = startChild(cp, 'replica-c');
      children.push(c);
      await eventually('c synced', () => (has(c, 'synced') ? true : undefined), 60_000);
      await sleep(500);
      assert.equal(has(c, 'leader'), false);
      const stoppedAt = Date.now();
      await b.stop();
      await eventually('c leads', () => (has(c, 'leader') ? true : undefined), slack);
      const gracefulTakeover = c.events.find((e) => e.event === 'leader')!.at - stoppedAt;
      console.log(`# takeover after a graceful stop (lease released): ${gracefulTakeover} ms`);
      assert.ok(gracefulTakeover < LEASE.leaseDurationMs, `release should beat lease expiry, took ${gracefulTakeover} ms`);
      await eventually('c reconciles', () => (c.events.filter((e) => e.event === 'reconcile').length >= names.length ? true : undefined));

      // 5. SIGTERM: C drains, releases the lease and exits cleanly.
      c.proc.kill('SIGTERM');
      assert.equal(await c.exited, 0);
      assert.ok(has(c, 'stopped'));
      const released = await client.get(Lease, { namespace: 'default', name: LEASE.id });
      assert.ok(!released.spec?.holderIdentity, 'SIGTERM released the lease');
    } finally {
      await b.stop();
    }
  });

  it('a leader that can no longer renew stops reconciling and start() rejects', async () => {
    const lease = { ...LEASE, id: 'steal-test' };
    let reconciled = 0;
    const t = await startManager(
      cp,
      [
        controller('stolen')
          .for(ConfigMap, { namespace: NS })
          .reconcile(() => {
            reconciled++;
          }),
      ],
      { leaderElection: lease, identity: 'victim' },
    );
    let outcome: unknown;
    const settled = t.running.then(
      () => (outcome = 'resolved'),
      (e: unknown) => (outcome = e),
    );
    await eventually('initial reconciles', () => (reconciled > 0 ? true : undefined));
    // Another holder writes itself into the Lease (as a partitioned-away leader would see it
    // after its lease expired and someone else took over).
    const current = await client.get(Lease, { namespace: 'default', name: lease.id });
    const now = new Date().toISOString().replace(/Z$/, '000Z');
    await client.update(Lease, { ...current, spec: { ...current.spec, holderIdentity: 'thief', renewTime: now, acquireTime: now, leaseDurationSeconds: 60 } });
    await settled;
    assert.ok(outcome instanceof LeaderElectionLostError, `start() should reject with LeaderElectionLostError, got ${String(outcome)}`);
    assert.equal(t.mgr.isLeader(), false);
    assert.equal(leaderElectionMetrics(t.registry).masterStatus.get({ name: lease.id }), 0);
    const after = reconciled;
    await client.create(ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-loss', namespace: NS } });
    await sleep(1000);
    assert.equal(reconciled, after, 'no reconcile after losing the lease');
    const stolen = await client.get(Lease, { namespace: 'default', name: lease.id });
    assert.equal(stolen.spec?.holderIdentity, 'thief', 'a leader that lost the lease does not release (or overwrite) it');
  });
});
