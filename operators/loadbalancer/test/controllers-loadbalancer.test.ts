// The operator against a real control plane (apiserver, controller-manager, scheduler, kwok
// nodes), running in-process with leader election and its webhook: a LoadBalancer gets an
// address, a NetworkAttachmentDefinition-backed Multus annotation, its ConfigMap, Deployment
// and PodDisruptionBudget, Ready pods and a Ready status; Service-backed pools follow
// EndpointSlices; a resync writes nothing; deletion releases the address.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigMap, Deployment, EndpointSlice, Pod, PodDisruptionBudget, Service, type Client } from '@tugboat/runtime';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { IPAllocation } from '../src/api/ipallocation.js';
import { IPPool } from '../src/api/ippool.js';
import { LoadBalancer } from '../src/api/loadbalancer.js';
import { installCrds, loadBalancerCrds } from '../src/controllers/crds.js';
import { NetworkAttachmentDefinition } from '../src/controllers/networkattachment.js';
import { startOperator, type Operator } from '../src/controllers/operator.js';
import { condition, ensureNamespace, eventually, lbObject, poolObject, recordingClient, type WriteLog } from './controllers-support.js';

const ns = 'shop';
const system = 'tugboat-system';

describe('LoadBalancer operator on a real control plane', () => {
  let cp: ControlPlane;
  let client: Client;
  let writes: WriteLog;
  let op: Operator;

  before(async () => {
    cp = await startControlPlane({ controllers: true, nodes: 1 });
    ({ client, log: writes } = await recordingClient(cp));
    await installCrds(client, loadBalancerCrds({ multus: true }));
    await ensureNamespace(client, system);
    await ensureNamespace(client, ns);
    await client.create(IPPool, poolObject('public', ['192.0.2.0/24'], { exclude: ['192.0.2.1'], network: { type: 'macvlan', master: 'eth1', gateway: '192.0.2.1' } }));
    op = await startOperator({
      client,
      namespace: system,
      leaderElection: {},
      webhook: { port: 0 },
      concurrency: 4,
    });
    await op.manager.elected;
  });

  after(async () => {
    await op?.stop();
    await client?.close();
    await cp?.stop();
  });

  it('gives a LoadBalancer an address, its workload and a Ready status', async () => {
    await client.create(LoadBalancer, lbObject(ns, 'web', 'public', { replicas: 2 }));
    const lb = await eventually('web Ready', async () => {
      const o = await client.get(LoadBalancer, { namespace: ns, name: 'web' });
      return condition(o, 'Ready')?.status === 'True' && condition(o, 'Progressing')?.status === 'False' ? o : undefined;
    }, 90_000);
    const address = lb.status?.address ?? '';
    assert.match(address, /^192\.0\.2\.([2-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4])$/);
    assert.deepEqual(lb.status?.addresses, [address]);
    assert.equal(lb.status?.ready, '2/2');
    assert.equal(lb.status?.observedGeneration, lb.metadata.generation);
    assert.deepEqual(lb.metadata.finalizers, ['lb.tugboat.dev/release-addresses']);
    assert.deepEqual(
      lb.status?.conditions?.map((c) => [c.type, c.status, c.reason]),
      [['Ready', 'True', 'Available'], ['Progressing', 'False', 'UpToDate'], ['Degraded', 'False', 'AsExpected']],
    );

    const cm = await client.get(ConfigMap, { namespace: ns, name: 'web-haproxy' });
    assert.equal(cm.metadata.annotations?.['lb.tugboat.dev/config-hash'], lb.status?.configHash);
    assert.match(cm.data?.['haproxy.cfg'] ?? '', new RegExp(`bind ${address.replace(/\./g, '\\.')}:80`));
    const dep = await client.get(Deployment, { namespace: ns, name: 'web-haproxy' });
    assert.equal(dep.spec?.replicas, 2);
    assert.equal(dep.metadata.ownerReferences?.[0]?.uid, lb.metadata.uid);
    const pdb = await client.get(PodDisruptionBudget, { namespace: ns, name: 'web-haproxy' });
    assert.equal(pdb.spec?.maxUnavailable, 1);

    const pods = await client.list(Pod, { namespace: ns, labelSelector: 'lb.tugboat.dev/loadbalancer=web' });
    assert.equal(pods.items.length, 2);
    for (const p of pods.items) {
      assert.equal(p.metadata.annotations?.['k8s.v1.cni.cncf.io/networks'], JSON.stringify([{ name: 'public', namespace: system, ips: [`${address}/24`], interface: 'net1' }]));
      assert.ok(p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), `pod ${p.metadata.name} Ready`);
    }
  });

  it('manages the pool NetworkAttachmentDefinition and shows allocations in the IPPool status', async () => {
    const nad = await client.get(NetworkAttachmentDefinition, { namespace: system, name: 'public' });
    const cfg = JSON.parse(nad.spec?.config ?? '{}') as { plugins: { type: string; master: string; capabilities: unknown; ipam: { type: string } }[] };
    assert.deepEqual([cfg.plugins[0]?.type, cfg.plugins[0]?.master, cfg.plugins[0]?.ipam.type], ['macvlan', 'eth1', 'static']);
    const lb = await client.get(LoadBalancer, { namespace: ns, name: 'web' });
    const pool = await eventually('pool status', async () => {
      const p = await client.get(IPPool, { name: 'public' });
      return p.status?.allocated === 1 ? p : undefined;
    });
    assert.equal(pool.status?.capacity, 253);
    assert.equal(pool.status?.free, 252);
    assert.deepEqual(pool.status?.allocations, [{ address: lb.status?.address, namespace: ns, name: 'web', uid: lb.metadata.uid }]);
    const allocs = await client.list(IPAllocation, { labelSelector: `lb.tugboat.dev/owner-uid=${lb.metadata.uid}` });
    assert.deepEqual(allocs.items.map((a) => a.metadata.name), [`public.${lb.status?.address}`]);
  });

  it('takes members of a Service pool from its EndpointSlices and follows their changes', async () => {
    await client.create(Service, { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name: 'api' }, spec: { ports: [{ name: 'http', port: 80 }] } });
    const slice = (addresses: string[]): EndpointSlice => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace: ns, name: 'api-1', labels: { 'kubernetes.io/service-name': 'api' } },
      addressType: 'IPv4',
      endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
      ports: [{ name: 'http', port: 9090, protocol: 'TCP' }],
    });
    await client.create(EndpointSlice, slice(['10.2.0.1', '10.2.0.2']));
    await client.create(LoadBalancer, lbObject(ns, 'api', 'public', { pools: [{ name: 'web', serviceRef: { name: 'api', port: 80 } }] }));
    const cfgOf = async () => (await client.get(ConfigMap, { namespace: ns, name: 'api-haproxy' })).data?.['haproxy.cfg'] ?? '';
    await eventually('members from the slice', async () => ((await cfgOf()).includes('10.2.0.1:9090') && (await cfgOf()).includes('10.2.0.2:9090') ? true : undefined));
    const before = await client.get(Deployment, { namespace: ns, name: 'api-haproxy' });

    const current = await client.get(EndpointSlice, { namespace: ns, name: 'api-1' });
    await client.update(EndpointSlice, { ...slice(['10.2.0.2', '10.2.0.3']), metadata: current.metadata });
    await eventually('slice change reaches the config', async () => {
      const cfg = await cfgOf();
      return cfg.includes('10.2.0.3:9090') && !cfg.includes('10.2.0.1:9090') ? true : undefined;
    });
    const afterDep = await client.get(Deployment, { namespace: ns, name: 'api-haproxy' });
    assert.equal(afterDep.metadata.generation, before.metadata.generation, 'a member change does not restart pods');

    await client.delete(Service, { namespace: ns, name: 'api' });
    const degraded = await eventually('Degraded when the Service is gone', async () => {
      const o = await client.get(LoadBalancer, { namespace: ns, name: 'api' });
      return condition(o, 'Degraded')?.status === 'True' ? condition(o, 'Degraded') : undefined;
    });
    assert.equal(degraded.reason, 'MembersUnresolved');
    assert.match(degraded.message, /spec\.pools\[0\]\.serviceRef: Service shop\/api does not exist; create it or fix serviceRef\.name/);
  });

  it('writes nothing when a resync finds nothing changed', async () => {
    await eventually('everything settled', async () => {
      const all = await client.list(LoadBalancer, { namespace: ns });
      return all.items.every((o) => condition(o, 'Progressing')?.status === 'False') ? true : undefined;
    }, 60_000);
    // Let the last status writes and watch events land.
    await new Promise((r) => setTimeout(r, 2000));
    const queues = () => Object.values(op.controllers).every((c) => c.queue.len() === 0 && c.queue.inFlight() === 0);
    await eventually('queues drained', () => (queues() ? true : undefined));
    writes.reset();
    for (const c of Object.values(op.controllers)) c.resync();
    await new Promise((r) => setTimeout(r, 200));
    await eventually('resync processed', () => (queues() ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    const relevant = writes.writes.filter((w) => !/ (Lease|Event) |\/leases\//.test(w));
    assert.deepEqual(relevant, []);
  });

  it('rejects an invalid LoadBalancer through its own webhook', async () => {
    // Only the webhook can know a Secret is missing (the schema cannot look it up), so this
    // rejection proves the operator's webhook is registered and answering.
    const bad = lbObject(ns, 'bad', 'public', {
      listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', defaultPool: 'web', tls: { certificates: [{ secretRef: { name: 'no-such-cert' } }] } }],
    });
    await assert.rejects(cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(bad) }), (e: Error & { stderr?: string }) => {
      assert.match(e.stderr ?? '', /^The LoadBalancer "bad" is invalid: spec\.listeners\[0\]\.tls\.certificates\[0\]\.secretRef\.name: .*Secret "no-such-cert" does not exist in this namespace/);
      return true;
    });
  });

  it('releases the address when the LoadBalancer is deleted', async () => {
    const lb = await client.get(LoadBalancer, { namespace: ns, name: 'web' });
    await client.delete(LoadBalancer, { namespace: ns, name: 'web' });
    await eventually('LB gone', async () => {
      try {
        await client.get(LoadBalancer, { namespace: ns, name: 'web' });
        return undefined;
      } catch {
        return true;
      }
    });
    const left = await client.list(IPAllocation, { labelSelector: `lb.tugboat.dev/owner-uid=${lb.metadata.uid}` });
    assert.equal(left.items.length, 0);
    await eventually('pool status updated', async () => {
      const p = await client.get(IPPool, { name: 'public' });
      return p.status?.allocations?.every((a) => a.name !== 'web') ? true : undefined;
    });
  });
});
