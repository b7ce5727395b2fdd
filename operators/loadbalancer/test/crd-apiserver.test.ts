// The lb.tugboat.dev CRDs in a real kube-apiserver: they install, their CEL rules compile
// within the apiserver's cost budget, defaults are applied, and invalid objects are refused
// with messages that name the field and the fix.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { createClient, CustomResourceDefinition, type Client } from '@tugboat/runtime';
import { LoadBalancer } from '../src/api/loadbalancer.js';
import { IPPool } from '../src/api/ippool.js';
import { builtinClassSpec, LoadBalancerClass } from '../src/api/loadbalancerclass.js';
import { classStatus } from '../src/controllers/classstatus.js';
import { isAdmitted, planRollout, type RolloutMember } from '../src/controllers/rollout.js';

const kinds = [LoadBalancer, IPPool, LoadBalancerClass];

function lb(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancer', metadata: { name, namespace: 'default' }, spec };
}

const valid = {
  ipPool: 'public',
  listeners: [{ name: 'web', port: 80, protocol: 'HTTP', defaultPool: 'app', allowedCIDRs: ['10.0.0.0/8'] }],
  pools: [{ name: 'app', members: [{ address: '10.0.0.1', port: 8080 }], healthMonitor: { type: 'HTTP', http: { path: '/healthz' } } }],
};

describe('lb.tugboat.dev CRDs in a real apiserver', () => {
  let cp: ControlPlane;
  let client: Client;

  before(async () => {
    cp = await startControlPlane();
    client = await createClient({ kubeconfig: cp.kubeconfigPath });
    for (const k of kinds) await client.create(CustomResourceDefinition, k.crd());
    for (const k of kinds) {
      for (let i = 0; ; i++) {
        const crd = await client.get(CustomResourceDefinition, { name: k.crdName });
        if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
        if (i > 150) throw new Error(`${k.crdName} not Established: ${JSON.stringify(crd.status?.conditions)}`);
        await sleep(200);
      }
    }
    // Discovery may lag behind Established by a moment.
    for (let i = 0; ; i++) {
      try {
        await cp.kubectl(['get', 'lb,ippools,lbclass', '-A']);
        break;
      } catch (err) {
        if (i > 50) throw err;
        await sleep(200);
      }
    }
  });

  after(async () => {
    await client?.close();
    await cp?.stop();
  });

  async function refused(obj: unknown, pattern: RegExp): Promise<void> {
    await assert.rejects(cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(obj) }), (err: Error) => {
      assert.match(err.message, pattern);
      return true;
    });
  }

  test('a valid LoadBalancer is stored with its defaults', async () => {
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(lb('ok', valid)) });
    const got = JSON.parse(await cp.kubectl(['get', 'lb', 'ok', '-o', 'json'])) as { spec: { replicas: number; className: string; pools: { algorithm: string; members: { weight: number }[] }[] } };
    assert.equal(got.spec.replicas, 2);
    assert.equal(got.spec.className, 'default');
    assert.equal(got.spec.pools[0]?.algorithm, 'RoundRobin');
    assert.equal(got.spec.pools[0]?.members[0]?.weight, 1);
    assert.match(await cp.kubectl(['get', 'lb', 'ok']), /NAME\s+ADDRESSES\s+READY\s+STATUS\s+AGE/);
    // A failed rollout member runs the new class generation and has settled only on an older one.
    assert.match(await cp.kubectl(['get', 'lb', 'ok', '-o', 'wide']), /NAME\s+ADDRESSES\s+READY\s+STATUS\s+AGE\s+CLASS\s+CLASS-GEN\s+SETTLED-GEN\n/);
  });

  test('CEL rules refuse cross-field mistakes with their messages', async () => {
    await refused(lb('https-no-tls', { ...valid, listeners: [{ name: 'web', port: 443, protocol: 'HTTPS', defaultPool: 'app' }] }), /an HTTPS listener needs tls/);
    await refused(lb('dup-port', { ...valid, listeners: [valid.listeners[0], { name: 'web2', port: 80, protocol: 'HTTP', defaultPool: 'app' }] }), /listener ports must be unique/);
    await refused(lb('no-pool', { ...valid, listeners: [{ name: 'web', port: 80, protocol: 'HTTP', defaultPool: 'ghost' }] }), /every listener defaultPool must name a pool in spec.pools/);
    await refused(lb('tcp-policy', { ...valid, listeners: [{ name: 'web', port: 80, protocol: 'TCP', defaultPool: 'app', policies: [{ name: 'p', action: 'Reject', rules: [{ type: 'Path', value: '/' }] }] }] }), /L7 policies need protocol HTTP or HTTPS/);
    await refused(lb('both-members', { ...valid, pools: [{ name: 'app', members: [], serviceRef: { name: 'svc', port: 80 } }] }), /set exactly one of members/);
    await refused(lb('hm', { ...valid, pools: [{ name: 'app', members: [], healthMonitor: { interval: '1s', timeout: '2s' } }] }), /timeout must not exceed interval/);
    await refused(lb('app-cookie', { ...valid, pools: [{ name: 'app', members: [], sessionPersistence: { type: 'AppCookie' } }] }), /AppCookie persistence needs cookieName/);
  });

  test('addresses, CIDRs and durations are checked by CEL', async () => {
    await refused(lb('cidr', { ...valid, listeners: [{ ...valid.listeners[0], allowedCIDRs: ['10.0.0.1/8'] }] }), /must be a CIDR with zero host bits/);
    await refused(lb('ip', { ...valid, pools: [{ name: 'app', members: [{ address: '2001:DB8::1', port: 1 }] }] }), /canonical form/);
    await refused(lb('dur', { ...valid, listeners: [{ ...valid.listeners[0], timeouts: { client: '25h' } }] }), /must be between 1ms and 24h/);
  });

  test('strings that could break haproxy.cfg are refused by the schema', async () => {
    await refused(lb('name', { ...valid, listeners: [{ ...valid.listeners[0], name: 'web\nglobal' }] }), /spec\.listeners\[0\]\.name/);
    const rule = (value: string) => ({ ...valid, listeners: [{ ...valid.listeners[0], policies: [{ name: 'p', action: 'Reject', rules: [{ type: 'Header', headerName: 'X-A', value }] }] }] });
    await refused(lb('quote', rule('a"b')), /spec\.listeners\[0\]\.policies\[0\]\.rules\[0\]\.value/);
    await refused(lb('newline', rule('a\nb')), /spec\.listeners\[0\]\.policies\[0\]\.rules\[0\]\.value/);
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(lb('hash-space', rule('a b # c'))) });
    const hostRule = { ...valid, listeners: [{ ...valid.listeners[0], policies: [{ name: 'p', action: 'Reject', rules: [{ type: 'Host', value: 'a b' }] }] }] };
    await refused(lb('host', hostRule), /a Host rule value must be a lower-case host name/);
  });

  test('IPPool and LoadBalancerClass: ranges are checked and class defaults applied', async () => {
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'IPPool', metadata: { name: 'loopback' }, spec: { addresses: ['127.0.10.0/24', '127.0.11.10-127.0.11.20'], exclude: ['127.0.10.1'] } }) });
    await assert.rejects(
      cp.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'IPPool', metadata: { name: 'bad' }, spec: { addresses: ['127.0.11.20-::1'] } }) }),
      /range of one family/,
    );
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancerClass', metadata: { name: 'default' }, spec: {} }) });
    const cls = JSON.parse(await cp.kubectl(['get', 'lbclass', 'default', '-o', 'json'])) as { spec: { rollout: { maxUpdating: string }; haproxy: { version: string } } };
    assert.equal(cls.spec.rollout.maxUpdating, '5%');
    assert.equal(cls.spec.haproxy.version, '2.6');
    await assert.rejects(
      cp.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancerClass', metadata: { name: 'stuck' }, spec: { rollout: { maxUpdating: '0' } } }) }),
      /maxUpdating must allow at least one load balancer to update/,
    );
  });

  test('the class status of a rollout over 100,000 load balancers is accepted and reads well in kubectl describe', async () => {
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancerClass', metadata: { name: 'scale' }, spec: {} }) });
    // The first batch of the default 5% (5,000 load balancers), 300 of which overran progressDeadline.
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    let members: RolloutMember[] = Array.from({ length: 100_000 }, (_, i) => ({ key: `tenant-${i % 1000}/lb-${i}`, generation: 1, settled: true, settledGeneration: 1 }));
    const first = planRollout({ generation: 2, policy: builtinClassSpec.rollout, members, previous: undefined, now: t0 });
    const failing = new Set(first.batch.slice(0, 300));
    members = members.map((m) => (isAdmitted(first.state, 2, m.key) ? { ...m, generation: 2, settled: !failing.has(m.key), settledGeneration: failing.has(m.key) ? 1 : 2 } : m));
    const d = planRollout({ generation: 2, policy: builtinClassSpec.rollout, members, previous: first.state, now: t0 + 600_000 });
    assert.equal(d.failed, 300);
    const status = classStatus({ decision: d, generation: 2, previous: undefined, now: new Date(t0).toISOString() });
    const applied = await client.apply(
      LoadBalancerClass,
      { apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancerClass', metadata: { name: 'scale' }, status } as never,
      { fieldManager: 'test', force: true, subresource: 'status' },
    );
    assert.deepEqual(applied.status?.rollout, status.rollout);
    assert.equal(applied.status?.failed, 300);
    const described = await cp.kubectl(['describe', 'lbclass', 'scale']);
    assert.match(described, /4,700 of 100,000 load balancers run generation 2; 95,000 not updated/);
    assert.match(described, /300 updated load balancer\(s\) did not become ready within rollout\.progressDeadline \(tenant-0\/lb-\d+, .* and 290 more\)/);
  });
});
