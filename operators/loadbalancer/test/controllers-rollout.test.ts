// A class-wide change rolled through a fleet of 10 load balancers on a real control plane
// (kwok pods), with the LoadBalancerClass rollout policy maxUpdating=2: a watch on the
// LoadBalancers sees at most two Progressing at any moment, the class status reports progress,
// and a change that leaves pods unschedulable halts the rollout once failures exceed
// maxFailurePercent, leaving the other load balancers untouched.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, Deployment, type Client } from '@tugboat/runtime';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { IPPool } from '../src/api/ippool.js';
import { LoadBalancer } from '../src/api/loadbalancer.js';
import { LoadBalancerClass } from '../src/api/loadbalancerclass.js';
import { installCrds, loadBalancerCrds } from '../src/controllers/crds.js';
import { startOperator, type Operator } from '../src/controllers/operator.js';
import { condition, ensureNamespace, eventually, lbObject, poolObject, recordingClient } from './controllers-support.js';

const ns = 'fleet';
const count = 10;

interface Observer {
  /** Most LBs seen Progressing=True at the same time. */
  maxProgressing(): number;
  /** LBs that were ever seen Progressing=True since the last reset. */
  everProgressing(): Set<string>;
  /** What was Progressing when the most were (for failure messages). */
  peak(): string;
  reset(): void;
  stop(): void;
}

function observe(client: Client): Observer {
  const abort = new AbortController();
  const progressing = new Set<string>();
  const ever = new Set<string>();
  const reasons = new Map<string, string>();
  let max = 0;
  let peak = '';
  void (async () => {
    while (!abort.signal.aborted) {
      try {
        for await (const ev of client.watch(LoadBalancer, { namespace: ns, signal: abort.signal })) {
          const name = ev.object.metadata.name ?? '';
          if (ev.type === 'DELETED' || condition(ev.object, 'Progressing')?.status !== 'True') progressing.delete(name);
          else {
            progressing.add(name);
            ever.add(name);
            reasons.set(name, `${condition(ev.object, 'Progressing')?.reason ?? ''} gen=${ev.object.status?.classGeneration ?? '-'}`);
          }
          if (progressing.size > max) {
            max = progressing.size;
            peak = [...progressing].map((n) => `${n}: ${reasons.get(n) ?? ''}`).join('; ');
          }
        }
      } catch {
        // The watch ended (timeout, stop); reopen unless stopping.
      }
    }
  })();
  return {
    maxProgressing: () => max,
    everProgressing: () => new Set(ever),
    peak: () => peak,
    reset() {
      max = progressing.size;
      peak = '';
      ever.clear();
    },
    stop: () => abort.abort(),
  };
}

async function classStatus(client: Client) {
  return (await client.get(LoadBalancerClass, { name: 'fleet' })).status;
}

describe('fleet rollout honours the LoadBalancerClass policy', () => {
  let cp: ControlPlane;
  let client: Client;
  let op: Operator;
  let watch: Observer;

  before(async () => {
    cp = await startControlPlane({ controllers: true, nodes: 1 });
    ({ client } = await recordingClient(cp));
    await installCrds(client, loadBalancerCrds());
    await ensureNamespace(client, 'tugboat-system');
    await ensureNamespace(client, ns);
    await client.create(IPPool, poolObject('fleet', ['198.51.100.0/24']));
    await client.create(LoadBalancerClass, {
      apiVersion: 'lb.tugboat.dev/v1alpha1',
      kind: 'LoadBalancerClass',
      metadata: { name: 'fleet' },
      spec: {
        haproxy: { image: 'docker.io/library/haproxy:2.6', version: '2.6' },
        rollout: { maxUpdating: '2', maxUnavailable: '1', batchPause: '1s', maxFailurePercent: 20, progressDeadline: '15s' },
      },
    } as unknown as LoadBalancerClass);
    op = await startOperator({ client, namespace: 'tugboat-system', leaderElection: false, concurrency: 4, multus: false, log: createLogger({ level: 'warn' }) });
    await Promise.all(Array.from({ length: count }, (_, i) => client.create(LoadBalancer, lbObject(ns, `lb-${i}`, 'fleet', { className: 'fleet' }))));
    await eventually('the fleet is up', async () => {
      const all = (await client.list(LoadBalancer, { namespace: ns })).items;
      return all.length === count && all.every((lb) => condition(lb, 'Ready')?.status === 'True' && condition(lb, 'Progressing')?.status === 'False') ? true : undefined;
    }, 120_000);
    watch = observe(client);
  });

  after(async () => {
    watch?.stop();
    await op?.stop();
    await client?.close();
    await cp?.stop();
  });

  it('rolls a new HAProxy image through the fleet two load balancers at a time', async () => {
    const gen0 = (await client.get(LoadBalancerClass, { name: 'fleet' })).metadata.generation ?? 0;
    const initial = await classStatus(client);
    assert.equal(initial?.loadBalancers, count);
    assert.equal(initial?.updated, count);
    watch.reset();
    await client.patch(LoadBalancerClass, { name: 'fleet' }, { spec: { haproxy: { image: 'docker.io/library/haproxy:2.8', version: '2.8' } } }, 'merge');

    const midway = await eventually('a batch in progress', async () => {
      const s = await classStatus(client);
      return s?.rollout?.generation === gen0 + 1 && s.rollout.updating > 0 ? s : undefined;
    });
    // The status carries a cursor, counts and a sample, never the batch as a list.
    assert.ok((midway.rollout?.updating ?? 0) <= 2);
    assert.ok((midway.rollout?.updatingSample.length ?? 0) <= 2);
    assert.match(midway.rollout?.admittedThrough ?? '', /^fleet\/lb-\d$/);
    const midwayProgressing = midway.conditions?.find((c) => c.type === 'Progressing');
    assert.equal(midwayProgressing?.status, 'True');
    if (midwayProgressing?.reason === 'BatchInProgress') assert.match(midwayProgressing.message, /; updating [12] \(fleet\/lb-\d(, fleet\/lb-\d)?\); \d+ waiting$/);

    const done = await eventually('rollout complete', async () => {
      const s = await classStatus(client);
      return s?.updated === count && s.conditions?.find((c) => c.type === 'Progressing')?.reason === 'RolloutComplete' ? s : undefined;
    }, 180_000, 500);
    assert.equal(done.failed, 0);
    assert.match(done.conditions?.find((c) => c.type === 'Progressing')?.message ?? '', /10 of 10 load balancers run generation/);

    assert.ok(watch.maxProgressing() <= 2, `at most 2 LBs Progressing at once, saw ${watch.maxProgressing()}: ${watch.peak()}`);
    assert.equal(watch.everProgressing().size, count, 'every LB went through Progressing');
    for (let i = 0; i < count; i++) {
      const d = await client.get(Deployment, { namespace: ns, name: `lb-${i}-haproxy` });
      assert.equal(d.spec?.template.spec.containers[0]?.image, 'docker.io/library/haproxy:2.8');
      const lb = await client.get(LoadBalancer, { namespace: ns, name: `lb-${i}` });
      assert.equal(lb.status?.classGeneration, gen0 + 1);
      assert.equal(lb.status?.settledClassGeneration, gen0 + 1, 'each LB records the generation it settled on');
    }
    assert.deepEqual([done.rollout?.updating, done.rollout?.pending, done.rollout?.updatingSample, done.rollout?.failedSample], [0, 0, [], []]);
  });

  it('halts when updated load balancers fail beyond maxFailurePercent and leaves the rest alone', async () => {
    const gen1 = (await client.get(LoadBalancerClass, { name: 'fleet' })).metadata.generation ?? 0;
    watch.reset();
    // 100 CPUs per replica: no kwok node can take the new pods, so updated LBs never settle.
    await client.patch(LoadBalancerClass, { name: 'fleet' }, { spec: { sizes: { small: { cpu: '100', memory: '256Mi', maxConnections: 10000 } } } }, 'merge');
    const halted = await eventually('rollout halted', async () => {
      const s = await classStatus(client);
      return s?.rollout?.generation === gen1 + 1 && s.rollout.halted ? s : undefined;
    }, 120_000, 500);
    assert.equal(halted.failed, 2);
    assert.equal(halted.rollout?.updating, 0);
    assert.deepEqual(halted.rollout?.failedSample, ['fleet/lb-0', 'fleet/lb-1']);
    assert.equal(halted.rollout?.admittedThrough, 'fleet/lb-1', 'the cursor stops after the failed batch');
    const degraded = halted.conditions?.find((c) => c.type === 'Degraded');
    assert.equal(degraded?.reason, 'RolloutHalted');
    assert.match(degraded?.message ?? '', /2 updated load balancer\(s\) did not become ready within rollout\.progressDeadline \(fleet\/lb-0, fleet\/lb-1\).*edit this class to start a new rollout/);

    // Nothing more is admitted, however long we wait past the pause.
    await new Promise((r) => setTimeout(r, 3000));
    const lbs = (await client.list(LoadBalancer, { namespace: ns })).items;
    const moved = lbs.filter((lb) => lb.status?.classGeneration === gen1 + 1).map((lb) => lb.metadata.name).sort();
    assert.deepEqual(moved, ['lb-0', 'lb-1']);
    for (const lb of lbs.filter((l) => moved.includes(l.metadata.name ?? ''))) {
      assert.equal(lb.status?.settledClassGeneration, gen1, `${lb.metadata.name} runs the new generation but last settled on the old one`);
    }
    for (const lb of lbs.filter((l) => !moved.includes(l.metadata.name ?? ''))) {
      assert.equal(condition(lb, 'Progressing')?.reason, 'RolloutQueued', `${lb.metadata.name} waits`);
      const d = await client.get(Deployment, { namespace: ns, name: `${lb.metadata.name}-haproxy` });
      assert.equal(d.spec?.template.spec.containers[0]?.resources?.requests?.cpu, '500m', `${lb.metadata.name} keeps its pods`);
    }
    assert.ok(watch.maxProgressing() <= 2, `at most 2 LBs Progressing at once, saw ${watch.maxProgressing()}: ${watch.peak()}`);
  });
});
