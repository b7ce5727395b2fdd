// Controllers and the manager against a real kube-apiserver: Owns() brings back a child
// deleted by hand, a no-op resync writes nothing, finalizer cleanup runs once across failed
// removals, errors back off, requeueAfter waits, terminal errors stop, /metrics and probes
// answer, shutdown drains, events aggregate, and two shards split the objects between them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { z } from 'zod';
import { createClient, type Client } from '../src/client.js';
import { defineCustomKind } from '../src/crd.js';
import { setCondition } from '../src/conditions.js';
import { controller, type ControllerDefinition } from '../src/controller.js';
import { createEventBroadcaster } from '../src/events.js';
import { ConfigMap, Event, Lease, Namespace } from '../src/kinds.js';
import { controllerMetrics, workqueueMetrics } from '../src/metrics.js';
import { childName } from '../src/names.js';
import { generationChanged } from '../src/predicates.js';
import { terminal } from '../src/reconcile.js';
import { shardOf } from '../src/sharding.js';
import { APPLIED_HASH_ANNOTATION } from '../src/applied.js';
import { installCrd, Mirror } from './fixtures/mirror.js';
import { eventually } from './support/eventually.js';
import { reconciles, startManager, testLogger, writes } from './support/managers.js';

type MirrorObj = ReturnType<typeof Mirror.make>;

function mirror(namespace: string, name: string, data: Record<string, string>, copies = 2, annotations?: Record<string, string>): MirrorObj {
  return Mirror.make({ metadata: { name, namespace, ...(annotations ? { annotations } : {}) }, spec: { data, copies } });
}

function configMap(namespace: string, name: string, labels?: Record<string, string>): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...(labels ? { labels } : {}) }, data: { k: 'v' } };
}

/** The reconciler of the examples: render `copies` ConfigMaps, apply them, report status. */
function mirrorController(name: string, namespace: string, opts: { metadataOnly: boolean }): ControllerDefinition {
  return controller(name)
    .for(Mirror, { namespace })
    .owns(ConfigMap, { namespace, metadataOnly: opts.metadataOnly })
    .reconcile(async (req, ctx) => {
      const m = await ctx.get(Mirror, req);
      if (!m) return;
      const children: ConfigMap[] = Array.from({ length: m.spec.copies }, (_, i) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: childName(m.metadata.name ?? '', String(i)), namespace: m.metadata.namespace, labels: { 'app.kubernetes.io/managed-by': 'tugboat' } },
        data: m.spec.data,
      }));
      const applied = await ctx.apply(children, { owner: m });
      const changed = applied.filter((a) => a.changed).length;
      if (changed > 0) ctx.recorder.normal(m, 'Mirrored', `wrote ${changed} ConfigMaps`, 'Apply');
      await ctx.applyStatus(m, {
        observedGeneration: m.metadata.generation,
        copies: children.length,
        conditions: setCondition(m.status?.conditions, { type: 'Ready', status: 'True', reason: 'Mirrored', message: 'all copies written', observedGeneration: m.metadata.generation }),
      });
    });
}

describe('controllers and the manager on a real apiserver', () => {
  let cp: ControlPlane;
  let client: Client;

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    await installCrd(client, Mirror);
    for (const ns of ['owns', 'noop', 'fin', 'retry', 'drain', 'events', 'shard', 'drift']) {
      await client.create(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
  });
  after(async () => {
    await client?.close();
    await cp?.stop();
  });

  it('Owns: a child deleted by hand enqueues its owner and is recreated', async () => {
    const t = await startManager(cp, [mirrorController('owns', 'owns', { metadataOnly: true })]);
    try {
      await client.create(Mirror, mirror('owns', 'm1', { greeting: 'hello' }));
      const first = await eventually('both copies', async () => {
        const cms = await client.list(ConfigMap, { namespace: 'owns', labelSelector: 'app.kubernetes.io/managed-by=tugboat' });
        return cms.items.length === 2 ? cms.items : undefined;
      });
      for (const cm of first) {
        assert.equal(cm.data?.greeting, 'hello');
        assert.equal(cm.metadata.ownerReferences?.[0]?.kind, 'Mirror');
        assert.equal(cm.metadata.ownerReferences?.[0]?.controller, true);
      }
      const m = await eventually('status Ready', async () => {
        const x = await client.get(Mirror, { namespace: 'owns', name: 'm1' });
        return x.status?.conditions?.[0]?.status === 'True' ? x : undefined;
      });
      assert.equal(m.status?.observedGeneration, m.metadata.generation);
      assert.equal(m.status?.copies, 2);

      const victim = first.find((c) => c.metadata.name === 'm1-0')!;
      const before = reconciles(t.registry, 'owns', 'success');
      await cp.kubectl(['delete', 'configmap', '-n', 'owns', 'm1-0']);
      const back = await eventually('m1-0 recreated', async () => {
        try {
          const c = await client.get(ConfigMap, { namespace: 'owns', name: 'm1-0' });
          return c.metadata.uid !== victim.metadata.uid ? c : undefined;
        } catch {
          return undefined;
        }
      });
      assert.equal(back.data?.greeting, 'hello');
      assert.ok(reconciles(t.registry, 'owns', 'success') > before, 'the deletion of the child reconciled the owner');

      // A spec change reaches the children through the applied-hash, even though this
      // controller caches ConfigMaps metadata-only and cannot see their data.
      await client.patch(Mirror, { namespace: 'owns', name: 'm1' }, { spec: { data: { greeting: 'bye' } } }, 'merge');
      await eventually('children follow the spec', async () => {
        const cms = await client.list(ConfigMap, { namespace: 'owns', labelSelector: 'app.kubernetes.io/managed-by=tugboat' });
        return cms.items.every((c) => c.data?.greeting === 'bye' && c.metadata.annotations?.[APPLIED_HASH_ANNOTATION]) ? true : undefined;
      });
    } finally {
      await t.stop();
    }
  });

  it('a hand edit of a field the controller owns is reverted (full cache)', async () => {
    const t = await startManager(cp, [mirrorController('drift', 'drift', { metadataOnly: false })]);
    try {
      await client.create(Mirror, mirror('drift', 'd1', { color: 'blue' }, 1));
      await eventually('copy', () => client.get(ConfigMap, { namespace: 'drift', name: 'd1-0' }).then((c) => (c.data?.color === 'blue' ? c : undefined)));
      await cp.kubectl(['patch', 'configmap', '-n', 'drift', 'd1-0', '--type=merge', '-p', '{"data":{"color":"red"}}']);
      await eventually('reverted', () => client.get(ConfigMap, { namespace: 'drift', name: 'd1-0' }).then((c) => (c.data?.color === 'blue' ? c : undefined)));
    } finally {
      await t.stop();
    }
  });

  it('a no-op resync makes zero writes', async () => {
    const t = await startManager(cp, [mirrorController('noop', 'noop', { metadataOnly: true })]);
    try {
      for (let i = 0; i < 3; i++) await client.create(Mirror, mirror('noop', `n${i}`, { i: String(i) }, 2));
      const settled = async () => {
        const ms = await client.list(Mirror, { namespace: 'noop' });
        const cms = await client.list(ConfigMap, { namespace: 'noop', labelSelector: 'app.kubernetes.io/managed-by=tugboat' });
        const ready = ms.items.length === 3 && ms.items.every((m) => m.status?.conditions?.[0]?.status === 'True') && cms.items.length === 6;
        return ready && t.controllers[0]!.queue.len() === 0 && t.controllers[0]!.queue.inFlight() === 0 ? [...ms.items, ...cms.items] : undefined;
      };
      await eventually('settled', settled);
      // Let the echo of our own last writes (status, children) come back and be reconciled.
      await sleep(1000);
      const snapshot = (await eventually('settled again', settled)).map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
      const writesBefore = writes(t.registry);
      const successBefore = reconciles(t.registry, 'noop', 'success');

      for (let round = 0; round < 3; round++) {
        t.controllers[0]!.resync();
        await eventually('resync reconciled', () => (reconciles(t.registry, 'noop', 'success') >= successBefore + 3 * (round + 1) ? true : undefined));
      }
      await eventually('queue idle', () => (t.controllers[0]!.queue.len() === 0 && t.controllers[0]!.queue.inFlight() === 0 ? true : undefined));

      assert.equal(writes(t.registry), writesBefore, 'no POST/PUT/PATCH/DELETE during the resyncs');
      const after = (await eventually('settled after', settled)).map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
      assert.deepEqual(after, snapshot, 'no resourceVersion moved');
      assert.ok(/tugboat_apply_total\{controller="noop",result="unchanged"\} ([1-9]\d*)/.test(t.registry.expose()));
    } finally {
      await t.stop();
    }
  });

  it('finalizer cleanup runs exactly once although the removal fails and the reconcile is retried', async () => {
    const FIN = 'test.tugboat.dev/cleanup';
    const BLOCK = 'test.tugboat.dev/block-finalizer-removal';
    // A real admission policy makes removing the finalizer fail while the object carries the
    // BLOCK annotation: the reconcile after a successful cleanup fails, and is retried.
    await cp.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'admissionregistration.k8s.io/v1',
            kind: 'ValidatingAdmissionPolicy',
            metadata: { name: 'block-finalizer-removal' },
            spec: {
              failurePolicy: 'Fail',
              matchConstraints: { resourceRules: [{ apiGroups: ['test.tugboat.dev'], apiVersions: ['*'], operations: ['UPDATE'], resources: ['mirrors'] }] },
              validations: [
                {
                  expression: `!(has(object.metadata.annotations) && '${BLOCK}' in object.metadata.annotations) || (has(object.metadata.finalizers) && '${FIN}' in object.metadata.finalizers)`,
                  message: 'finalizer removal is blocked by the test',
                  reason: 'Forbidden',
                },
              ],
            },
          },
          {
            apiVersion: 'admissionregistration.k8s.io/v1',
            kind: 'ValidatingAdmissionPolicyBinding',
            metadata: { name: 'block-finalizer-removal' },
            spec: { policyName: 'block-finalizer-removal', validationActions: ['Deny'] },
          },
        ],
      }),
    });
    // The policy takes effect asynchronously: probe until a blocked removal is refused.
    await client.create(Mirror, { ...mirror('fin', 'probe', { p: '1' }, 1, { [BLOCK]: 'yes' }), metadata: { name: 'probe', namespace: 'fin', annotations: { [BLOCK]: 'yes' }, finalizers: [FIN] } });
    await eventually('policy active', async () => {
      try {
        await client.patch(Mirror, { namespace: 'fin', name: 'probe' }, { metadata: { finalizers: null } }, 'merge');
        await client.patch(Mirror, { namespace: 'fin', name: 'probe' }, { metadata: { finalizers: [FIN] } }, 'merge');
        return undefined;
      } catch (e) {
        return /blocked by the test/.test(String(e)) ? true : undefined;
      }
    });
    await client.patch(Mirror, { namespace: 'fin', name: 'probe' }, { metadata: { annotations: null, finalizers: null } }, 'merge');
    await client.delete(Mirror, { namespace: 'fin', name: 'probe' });

    let cleanups = 0;
    let attempts = 0;
    const def = controller('fin')
      .for(Mirror, { namespace: 'fin' })
      .reconcile(async (req, ctx) => {
        const m = await ctx.get(Mirror, req);
        if (!m) return;
        attempts++;
        return ctx.finalize(m, FIN, {
          apply: () => undefined,
          cleanup: async () => {
            cleanups++;
          },
        });
      });
    const t = await startManager(cp, [def]);
    try {
      await client.create(Mirror, mirror('fin', 'f1', { x: '1' }, 1, { [BLOCK]: 'yes' }));
      await eventually('finalizer added', () => client.get(Mirror, { namespace: 'fin', name: 'f1' }).then((m) => (m.metadata.finalizers?.includes(FIN) ? true : undefined)));
      await client.delete(Mirror, { namespace: 'fin', name: 'f1' });
      const errors = () => controllerMetrics(t.registry).reconcileErrors.get({ controller: 'fin' });
      await eventually('removal refused three times', () => (errors() >= 3 ? true : undefined));
      assert.equal(cleanups, 1, 'cleanup ran once; the retries only retried the removal');
      const still = await client.get(Mirror, { namespace: 'fin', name: 'f1' });
      assert.ok(still.metadata.deletionTimestamp);
      assert.deepEqual(still.metadata.finalizers, [FIN]);

      await cp.kubectl(['annotate', 'mirrors.test.tugboat.dev', '-n', 'fin', 'f1', `${BLOCK}-`]);
      await eventually('object gone', async () => {
        try {
          await client.get(Mirror, { namespace: 'fin', name: 'f1' });
          return undefined;
        } catch {
          return true;
        }
      });
      assert.equal(cleanups, 1);
      assert.ok(attempts >= 5, `attempts ${attempts}: add, delete, >= 3 refused removals`);
    } finally {
      await t.stop();
      await cp.kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', 'block-finalizer-removal']);
    }
  });

  it('errors back off per object, requeueAfter waits, terminal errors are not retried', async () => {
    const seen = new Map<string, number[]>();
    const def = controller('retry')
      .for(ConfigMap, { namespace: 'retry' })
      .withConcurrency(3)
      .reconcile((req) => {
        const times = seen.get(req.name) ?? [];
        times.push(performance.now());
        seen.set(req.name, times);
        if (req.name === 'flaky' && times.length <= 4) throw new Error(`transient failure ${times.length}`);
        if (req.name === 'poll' && times.length <= 2) return { requeueAfter: 400 };
        if (req.name === 'broken') throw terminal(new Error('spec can never work'));
        return undefined;
      });
    const t = await startManager(cp, [def]);
    try {
      for (const n of ['flaky', 'poll', 'broken', 'fine']) await client.create(ConfigMap, configMap('retry', n));
      await eventually('flaky succeeded', () => ((seen.get('flaky')?.length ?? 0) >= 5 ? true : undefined));
      await eventually('poll finished', () => ((seen.get('poll')?.length ?? 0) >= 3 ? true : undefined));
      await sleep(1500); // time for any wrong retry of 'broken' or 'fine' to show up

      const gaps = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]!);
      const flaky = gaps(seen.get('flaky')!);
      assert.equal(flaky.length, 4);
      // Per-item exponential backoff: at least 5, 10, 20, 40 ms between attempts.
      flaky.forEach((g, i) => assert.ok(g >= 5 * 2 ** i - 1, `gap ${i} was ${g.toFixed(1)} ms, backoff is ${5 * 2 ** i} ms`));
      for (const g of gaps(seen.get('poll')!)) assert.ok(g >= 399, `requeueAfter 400 ms, reconciled again after ${g.toFixed(0)} ms`);
      assert.equal(seen.get('broken')?.length, 1, 'a terminal error is not retried');
      assert.equal(seen.get('fine')?.length, 1);

      const m = controllerMetrics(t.registry);
      assert.equal(m.terminalReconcileErrors.get({ controller: 'retry' }), 1);
      assert.equal(m.reconcileErrors.get({ controller: 'retry' }), 5);
      assert.equal(reconciles(t.registry, 'retry', 'requeue_after'), 2);
      assert.equal(workqueueMetrics(t.registry).retries.get({ name: 'retry', controller: 'retry' }), 4);
      assert.equal(t.controllers[0]!.queue.numRequeues('flaky'), 0, 'success clears the backoff');

      // A change to the broken object is a new reason to try, and it is tried once more.
      await client.patch(ConfigMap, { namespace: 'retry', name: 'broken' }, { data: { k: 'fixed?' } }, 'merge');
      await eventually('broken retried after a change', () => (seen.get('broken')?.length === 2 ? true : undefined));
    } finally {
      await t.stop();
    }
  });

  it('serves /metrics with the controller-runtime and client-go names, and /healthz and /readyz', async () => {
    const t = await startManager(cp, [mirrorController('metrics', 'owns', { metadataOnly: true })], {
      metricsPort: 0,
      healthPort: 0,
      bindAddress: '127.0.0.1',
      leaderElection: { id: 'metrics-test', namespace: 'default', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 },
    });
    try {
      await eventually('a reconcile', () => (reconciles(t.registry, 'metrics', 'success') > 0 ? true : undefined));
      const res = await fetch(`${t.mgr.metricsUrl}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0.0.4/);
      const text = await res.text();
      for (const name of [
        'controller_runtime_reconcile_total',
        'controller_runtime_reconcile_errors_total',
        'controller_runtime_terminal_reconcile_errors_total',
        'controller_runtime_reconcile_time_seconds',
        'controller_runtime_max_concurrent_reconciles',
        'controller_runtime_active_workers',
        'workqueue_depth',
        'workqueue_adds_total',
        'workqueue_queue_duration_seconds',
        'workqueue_work_duration_seconds',
        'workqueue_retries_total',
        'workqueue_unfinished_work_seconds',
        'workqueue_longest_running_processor_seconds',
        'rest_client_requests_total',
        'rest_client_request_duration_seconds',
        'leader_election_master_status',
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'process_start_time_seconds',
        'nodejs_eventloop_delay_seconds',
      ]) {
        assert.match(text, new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'), `${name} missing from /metrics`);
      }
      assert.match(text, /^controller_runtime_reconcile_total\{controller="metrics",result="success"\} [1-9]/m);
      assert.match(text, /^leader_election_master_status\{name="metrics-test"\} 1$/m);
      assert.match(text, /^rest_client_requests_total\{code="200",method="GET",host="127\.0\.0\.1:\d+"\} [1-9]/m);
      assert.match(text, /^controller_runtime_max_concurrent_reconciles\{controller="metrics"\} 1$/m);

      const healthz = await fetch(`${t.mgr.healthUrl}/healthz`);
      assert.equal(healthz.status, 200);
      assert.equal(await healthz.text(), 'ok');
      const readyz = await fetch(`${t.mgr.healthUrl}/readyz?verbose`);
      assert.equal(readyz.status, 200);
      assert.match(await readyz.text(), /^\[\+\]informers ok$/m);
      t.mgr.addReadyCheck('custom', () => 'database unreachable');
      const failing = await fetch(`${t.mgr.healthUrl}/readyz`);
      assert.equal(failing.status, 500);
      assert.match(await failing.text(), /^\[-\]custom failed: database unreachable$/m);
      assert.equal((await fetch(`${t.mgr.healthUrl}/readyz/informers`)).status, 200);
    } finally {
      await t.stop();
    }
    const lease = await client.get(Lease, { namespace: 'default', name: 'metrics-test' });
    assert.ok(!lease.spec?.holderIdentity, 'the lease is released on stop');
  });

  it('graceful shutdown: reconciles in flight finish, none start, then the lease is released', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const started: string[] = [];
    const finished: string[] = [];
    let stopCalled = false;
    let startedAfterStop = 0;
    const def = controller('drain')
      .for(ConfigMap, { namespace: 'drain' })
      .withConcurrency(2)
      .reconcile(async (req) => {
        if (stopCalled) startedAfterStop++;
        started.push(req.name);
        if (req.name === 'slow') await gate;
        finished.push(req.name);
      });
    const t = await startManager(cp, [def], {
      leaderElection: { id: 'drain-test', namespace: 'default', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 },
      gracefulShutdownMs: 30_000,
    });
    await client.create(ConfigMap, configMap('drain', 'slow'));
    await eventually('slow started', () => (started.includes('slow') ? true : undefined));
    stopCalled = true;
    let stopped = false;
    const stopping = t.stop().then(() => (stopped = true));
    // Events that arrive now must not start reconciles.
    await client.create(ConfigMap, configMap('drain', 'late'));
    await sleep(500);
    assert.equal(stopped, false, 'stop waits for the reconcile in flight');
    const held = await client.get(Lease, { namespace: 'default', name: 'drain-test' });
    assert.ok(held.spec?.holderIdentity, 'the lease is held while draining');
    release();
    await stopping;
    assert.deepEqual(finished, ['slow'], 'the reconcile in flight finished');
    assert.equal(startedAfterStop, 0, 'nothing started after stop');
    const lease = await client.get(Lease, { namespace: 'default', name: 'drain-test' });
    assert.ok(!lease.spec?.holderIdentity, 'released after the drain');
  });

  it('events: repeats aggregate into one Event whose series.count grows', async () => {
    const events = createEventBroadcaster(client, { reportingInstance: 'test-instance', log: testLogger(), seriesFlushMs: 50 });
    const cm = await client.create(ConfigMap, configMap('events', 'subject'));
    const rec = events.recorderFor('events-test');
    for (let i = 0; i < 5; i++) rec.warning(cm, 'ApplyFailed', 'the apiserver refused the Service: port 99999 is out of range', 'Apply');
    rec.normal(cm, 'Applied', 'all good', 'Apply');
    await events.flush();
    const list = await client.list(Event, { namespace: 'events' });
    assert.equal(list.items.length, 2, 'one Event per distinct occurrence');
    const warning = list.items.find((e) => e.reason === 'ApplyFailed')!;
    assert.equal(warning.series?.count, 5);
    assert.equal(warning.type, 'Warning');
    assert.equal(warning.reportingController, 'tugboat.dev/events-test');
    assert.equal(warning.regarding?.uid, cm.metadata.uid);
    const normal = list.items.find((e) => e.reason === 'Applied')!;
    assert.equal(normal.series, undefined, 'a single occurrence has no series');
    // The same event later keeps counting on the same object.
    rec.warning(cm, 'ApplyFailed', 'the apiserver refused the Service: port 99999 is out of range', 'Apply');
    await events.flush();
    const again = await client.get(Event, { namespace: 'events', name: warning.metadata.name ?? '' });
    assert.equal(again.series?.count, 6);
    assert.deepEqual(events.stats(), { recorded: 7, created: 2, aggregated: 5, dropped: 0 });
    await events.close();
  });

  it('sharding: two managers with different shards reconcile disjoint sets that cover everything', async () => {
    const seen = [new Set<string>(), new Set<string>()];
    const def = (i: number) =>
      controller('sharded')
        .for(ConfigMap, { namespace: 'shard' })
        .withPredicates(generationChanged())
        .reconcile((req) => {
          seen[i]!.add(req.name);
        });
    const a = await startManager(cp, [def(0)], { shard: { index: 0, count: 2 } });
    const b = await startManager(cp, [def(1)], { shard: { index: 1, count: 2 } });
    try {
      const names = Array.from({ length: 20 }, (_, i) => `obj-${i}`);
      for (const n of names) await client.create(ConfigMap, configMap('shard', n));
      // Pinned by label to shard 1, whatever its hash says.
      const pinned = names.map((n) => `pinned-${n}`).find((n) => shardOf(`shard/${n}`, 2) === 0)!;
      await client.create(ConfigMap, configMap('shard', pinned, { 'tugboat.dev/shard': '1' }));
      await eventually('all reconciled', () => (seen[0]!.size + seen[1]!.size === 21 ? true : undefined));
      await sleep(300);
      const overlap = [...seen[0]!].filter((n) => seen[1]!.has(n));
      assert.deepEqual(overlap, [], 'no object reconciled by both shards');
      for (const n of names) assert.ok(seen[shardOf(`shard/${n}`, 2)]!.has(n), `${n} went to its hash shard`);
      assert.ok(seen[1]!.has(pinned) && !seen[0]!.has(pinned), 'the pin label wins over the hash');
      assert.ok(seen[0]!.size > 3 && seen[1]!.size > 3, `split ${seen[0]!.size}/${seen[1]!.size}`);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('start() fails with the informers that never synced when a kind is not served', async () => {
    const Missing = defineCustomKind({ group: 'missing.tugboat.dev', kind: 'Ghost', plural: 'ghosts', scope: 'Namespaced', versions: [{ name: 'v1', spec: z.object({}) }] });
    const mgrOpts = { cacheSyncTimeoutMs: 1500, waitForLeader: false };
    await assert.rejects(
      startManager(cp, [controller('ghost').for(Missing).reconcile(() => undefined)], mgrOpts).then((t) => t.running),
      /caches did not sync within 1500 ms: missing\.tugboat\.dev\/v1\/Ghost/,
    );
  });

  it('a controller added to a running manager reconciles existing and new objects', async () => {
    await client.create(ConfigMap, configMap('drift', 'pre-existing'));
    const t = await startManager(cp, []);
    try {
      const seen: string[] = [];
      const c = t.mgr.add(
        controller('late')
          .for(ConfigMap, { namespace: 'drift' })
          .reconcile((req) => {
            seen.push(req.name);
          }),
      );
      await eventually('pre-existing object reconciled', () => (seen.includes('pre-existing') ? true : undefined));
      assert.equal(c.running(), true);
      await client.create(ConfigMap, configMap('drift', 'new-one'));
      await eventually('new object reconciled', () => (seen.includes('new-one') ? true : undefined));
    } finally {
      await t.stop();
    }
  });
});
