// Address allocation at volume against a real apiserver: 1,000 load balancers created at once
// get 1,000 distinct addresses from a /22; from a /24 the first 254 get distinct addresses and
// the rest say PoolExhausted, which clears by itself when addresses are freed; deletion
// releases addresses; an operator stopped in the middle of allocating and replaced by another
// leaves no address held twice and no load balancer holding two.
//
// The control plane runs without controller-manager and kwok: allocation does not depend on
// pods, and leaving them out keeps 1,000 LBs within the machine's means.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, type Client } from '@tugboat/runtime';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { IPAllocation } from '../src/api/ipallocation.js';
import { IPPool } from '../src/api/ippool.js';
import { LoadBalancer } from '../src/api/loadbalancer.js';
import { installCrds, loadBalancerCrds } from '../src/controllers/crds.js';
import { startOperator, type Operator } from '../src/controllers/operator.js';
import { condition, ensureNamespace, eventually, lbObject, poolObject, recordingClient } from './controllers-support.js';

const system = 'tugboat-system';

async function createMany(client: Client, namespace: string, pool: string, count: number, prefix = 'lb'): Promise<void> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);
  // All at once, in waves of 100 requests in flight.
  for (let i = 0; i < names.length; i += 100) {
    await Promise.all(names.slice(i, i + 100).map((n) => client.create(LoadBalancer, lbObject(namespace, n, pool))));
  }
}

async function listLbs(client: Client, namespace: string): Promise<LoadBalancer[]> {
  return (await client.listAll(LoadBalancer, { namespace })).items;
}

function addressesOf(lbs: readonly LoadBalancer[]): string[] {
  return lbs.flatMap((lb) => (lb.status?.address ? [lb.status.address] : []));
}

function assertDistinct(addresses: readonly string[]): void {
  const seen = new Map<string, number>();
  for (const a of addresses) seen.set(a, (seen.get(a) ?? 0) + 1);
  const dup = [...seen].filter(([, n]) => n > 1);
  assert.deepEqual(dup, [], `addresses held twice: ${dup.map(([a]) => a).join(', ')}`);
}

async function allocationsOf(client: Client, pool: string): Promise<IPAllocation[]> {
  return (await client.listAll(IPAllocation, { labelSelector: `lb.tugboat.dev/pool=${pool}` })).items;
}

describe('address allocation at volume', () => {
  let cp: ControlPlane;
  let client: Client;
  let op: Operator | undefined;

  const start = async (identity: string) =>
    startOperator({
      client,
      namespace: system,
      identity,
      // The operators run one after the other, never side by side, so no Lease is needed; and a
      // Lease renewal queued behind a thousand reconciles on a loaded machine can miss its
      // deadline, which would end the operator mid-test (see docs: Controller limits).
      leaderElection: false,
      concurrency: 16,
      gracefulShutdownMs: 0,
      multus: false,
      log: createLogger({ level: 'warn' }),
    });

  before(async () => {
    cp = await startControlPlane();
    ({ client } = await recordingClient(cp, { qps: 1000, burst: 2000 }));
    await installCrds(client, loadBalancerCrds());
    await ensureNamespace(client, system);
    op = await start('first');
  });

  after(async () => {
    await op?.stop();
    await client?.close();
    await cp?.stop();
  });

  it('gives 1,000 concurrently created load balancers 1,000 distinct addresses from a /22', async () => {
    await ensureNamespace(client, 'wide');
    await client.create(IPPool, poolObject('wide', ['10.20.0.0/22']));
    await createMany(client, 'wide', 'wide', 1000);
    const lbs = await eventually('1,000 addresses', async () => {
      const all = await listLbs(client, 'wide');
      return addressesOf(all).length === 1000 ? all : undefined;
    }, 300_000, 1000);
    const addresses = addressesOf(lbs);
    assertDistinct(addresses);
    assert.ok(addresses.every((a) => /^10\.20\.[0-3]\.[0-9]+$/.test(a) && a !== '10.20.0.0' && a !== '10.20.3.255'));
    const allocs = await allocationsOf(client, 'wide');
    assert.equal(allocs.length, 1000, 'one allocation object per load balancer');
    const byOwner = new Map(allocs.map((a) => [a.spec.owner.uid, a.spec.address]));
    for (const lb of lbs) assert.equal(byOwner.get(lb.metadata.uid ?? ''), lb.status?.address, `${lb.metadata.name}: status and allocation agree`);
    const pool = await eventually('pool status counts 1,000', async () => {
      const p = await client.get(IPPool, { name: 'wide' });
      return p.status?.allocated === 1000 ? p : undefined;
    }, 60_000);
    assert.equal(pool.status?.free, 22);
    // The status lists the lowest addresses only; every allocation is an IPAllocation object.
    assert.equal(pool.status?.allocations?.length, 256);
    assert.equal(pool.status?.allocationsNotListed, 744);
    const lowest = [...byOwner.values()].map((a) => Number(a.split('.')[2]) * 256 + Number(a.split('.')[3])).sort((x, y) => x - y).slice(0, 256);
    assert.deepEqual(pool.status?.allocations?.map((a) => Number(a.address.split('.')[2]) * 256 + Number(a.address.split('.')[3])), lowest);
  });

  it('releases every address when the load balancers are deleted', async () => {
    await cp.kubectl(['delete', 'loadbalancers', '--all', '-n', 'wide', '--wait=false']);
    await eventually('allocations released', async () => ((await allocationsOf(client, 'wide')).length === 0 ? true : undefined), 300_000, 1000);
    await eventually('LBs gone', async () => ((await listLbs(client, 'wide')).length === 0 ? true : undefined), 120_000, 1000);
    const pool = await eventually('pool status empty', async () => {
      const p = await client.get(IPPool, { name: 'wide' });
      return p.status?.allocated === 0 ? p : undefined;
    });
    assert.equal(pool.status?.free, 1022);
  });

  it('from a /24 gives the first 254 distinct addresses, the rest PoolExhausted until addresses are freed', async () => {
    await ensureNamespace(client, 'narrow');
    await client.create(IPPool, poolObject('narrow', ['10.30.0.0/24']));
    await createMany(client, 'narrow', 'narrow', 1000);
    const lbs = await eventually('254 addresses and 746 PoolExhausted', async () => {
      const all = await listLbs(client, 'narrow');
      const exhausted = all.filter((lb) => condition(lb, 'Ready')?.reason === 'PoolExhausted');
      return addressesOf(all).length === 254 && exhausted.length === 746 ? all : undefined;
    }, 300_000, 1000);
    assertDistinct(addressesOf(lbs));
    const waiting = lbs.find((lb) => lb.status?.address === undefined);
    assert.deepEqual(
      [condition(waiting, 'Ready')?.status, condition(waiting, 'Ready')?.message],
      ['False', 'IPPool "narrow" has no free address (254 of 254 allocated); delete a load balancer that uses it, or add a range to spec.addresses of IPPool "narrow"'],
    );
    const pool = await eventually('pool Degraded Exhausted', async () => {
      const p = await client.get(IPPool, { name: 'narrow' });
      return p.status?.free === 0 && p.status.conditions?.find((c) => c.type === 'Degraded')?.reason === 'Exhausted' ? p : undefined;
    });
    assert.match(pool.status?.conditions?.find((c) => c.type === 'Degraded')?.message ?? '', /every address is allocated and \d+ load balancer\(s\) wait for one/);

    const holders = lbs.filter((lb) => lb.status?.address !== undefined).slice(0, 10);
    await Promise.all(holders.map((lb) => client.delete(LoadBalancer, { namespace: 'narrow', name: lb.metadata.name ?? '' })));
    const after = await eventually('10 waiting LBs got the freed addresses', async () => {
      const all = await listLbs(client, 'narrow');
      const exhausted = all.filter((lb) => condition(lb, 'Ready')?.reason === 'PoolExhausted');
      return all.length === 990 && addressesOf(all).length === 254 && exhausted.length === 736 ? all : undefined;
    }, 120_000, 500);
    assertDistinct(addressesOf(after));
    const freed = new Set(holders.map((lb) => lb.status?.address));
    const reused = after.filter((lb) => freed.has(lb.status?.address));
    assert.equal(reused.length, 10, 'the freed addresses went to waiting load balancers');
  });

  it('leaves no address held twice when the operator is replaced in the middle of allocating', async () => {
    await cp.kubectl(['delete', 'loadbalancers', '--all', '-n', 'narrow', '--wait=false']);
    await ensureNamespace(client, 'restart');
    await client.create(IPPool, poolObject('restart', ['10.40.0.0/22']));
    // Stop the operator as soon as allocation is under way, while creations still arrive.
    const creating = createMany(client, 'restart', 'restart', 400, 'r');
    await eventually('allocation under way', async () => ((await allocationsOf(client, 'restart')).length >= 40 ? true : undefined), 120_000, 50);
    await op?.stop();
    await creating;
    const midway = (await allocationsOf(client, 'restart')).length;
    assert.ok(midway < 400, `the first operator should stop before finishing (${midway} allocated)`);
    op = await start('second');
    const lbs = await eventually('all 400 have addresses', async () => {
      const all = await listLbs(client, 'restart');
      return addressesOf(all).length === 400 ? all : undefined;
    }, 300_000, 1000);
    assertDistinct(addressesOf(lbs));
    const allocs = await eventually('one allocation per load balancer', async () => {
      const a = await allocationsOf(client, 'restart');
      return a.length === 400 ? a : undefined;
    }, 60_000, 500);
    assertDistinct(allocs.map((a) => a.spec.address));
    const byOwner = new Map<string, string[]>();
    for (const a of allocs) byOwner.set(a.spec.owner.uid, [...(byOwner.get(a.spec.owner.uid) ?? []), a.spec.address]);
    for (const lb of lbs) assert.deepEqual(byOwner.get(lb.metadata.uid ?? ''), [lb.status?.address], `${lb.metadata.name}`);
  });
});
