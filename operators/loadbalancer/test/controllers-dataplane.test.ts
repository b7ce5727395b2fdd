// Control plane and data plane together, the way the demo runs them: the operator (host data
// plane) allocates a loopback address and renders the configuration; a real tugboat-lb-agent
// process follows the LB's ConfigMap through the API, runs a real HAProxy on that address and
// reports the applied hash on the LB's (kwok) pod; the status then shows the hash every replica
// applied. A member change reaches HAProxy without new pods, and traffic follows it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createLogger, Deployment, Pod, type Client } from '@tugboat/runtime';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { IPPool } from '../src/api/ippool.js';
import { LoadBalancer } from '../src/api/loadbalancer.js';
import { LoadBalancerClass } from '../src/api/loadbalancerclass.js';
import { installCrds, loadBalancerCrds } from '../src/controllers/crds.js';
import { startOperator, type Operator } from '../src/controllers/operator.js';
import { condition, ensureNamespace, eventually, lbObject, poolObject, recordingClient } from './controllers-support.js';
import { startBackend, type Backend } from './support/backends.js';
import { get } from './support/http.js';
import { freePort } from './support/lb.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const agentMain = fileURLToPath(new URL('../src/agent/main.ts', import.meta.url));
const ns = 'edge';
const port = 18080;

describe('operator and agent on one host', () => {
  let cp: ControlPlane;
  let client: Client;
  let op: Operator;
  let runDir: string;
  let a: Backend;
  let b: Backend;
  let agent: ChildProcess | undefined;
  let agentOutput = '';

  before(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'tugboat-lb-host-'));
    [a, b] = await Promise.all([startBackend('backend-a'), startBackend('backend-b')]);
    cp = await startControlPlane({ controllers: true, nodes: 1 });
    ({ client } = await recordingClient(cp));
    await installCrds(client, loadBalancerCrds());
    await ensureNamespace(client, 'tugboat-system');
    await ensureNamespace(client, ns);
    // A /28 somewhere in 127/8 that no other test uses at the same time.
    const third = 100 + Math.floor(Math.random() * 100);
    await client.create(IPPool, poolObject('loopback', [`127.88.${third}.0/28`]));
    // A host process may hold far fewer file descriptors than a pod's HAProxy would want.
    await client.create(LoadBalancerClass, {
      apiVersion: 'lb.tugboat.dev/v1alpha1',
      kind: 'LoadBalancerClass',
      metadata: { name: 'default' },
      spec: { sizes: { small: { cpu: '500m', memory: '256Mi', maxConnections: 2000 } } },
    } as unknown as LoadBalancerClass);
    op = await startOperator({
      client,
      namespace: 'tugboat-system',
      leaderElection: false,
      dataPlane: 'host',
      hostRunDir: runDir,
      multus: false,
      log: createLogger({ level: 'warn' }),
    });
  });

  after(async () => {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await once(agent, 'exit');
    }
    await op?.stop();
    await client?.close();
    await cp?.stop();
    await Promise.all([a?.close(), b?.close()]);
    await rm(runDir, { recursive: true, force: true });
  });

  it('serves traffic through the allocated address and reports the applied hash in the status', async () => {
    await client.create(
      LoadBalancer,
      lbObject(ns, 'shop', 'loopback', {
        listeners: [{ name: 'http', port, protocol: 'HTTP', defaultPool: 'web' }],
        pools: [{ name: 'web', members: [{ address: a.address, port: a.port }, { address: b.address, port: b.port }] }],
      }),
    );
    const lb = await eventually('LB Ready', async () => {
      const o = await client.get(LoadBalancer, { namespace: ns, name: 'shop' });
      return condition(o, 'Ready')?.status === 'True' ? o : undefined;
    }, 90_000);
    const address = lb.status?.address ?? '';
    assert.equal(lb.status?.appliedConfigHash, undefined, 'no agent has reported yet');
    const pod = (await client.list(Pod, { namespace: ns, labelSelector: 'lb.tugboat.dev/loadbalancer=shop' })).items[0];
    assert.ok(pod?.metadata.name);

    const agentPort = await freePort('127.0.0.1');
    agent = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        agentMain,
        '--configmap',
        `${ns}/shop-haproxy`,
        '--kubeconfig',
        cp.kubeconfigPath,
        '--work-dir',
        join(runDir, `${ns}-shop`),
        '--listen',
        `127.0.0.1:${agentPort}`,
        '--report-pod',
        `${ns}/${pod.metadata.name}`,
      ],
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout?.on('data', (c: Buffer) => (agentOutput += c.toString()));
    agent.stderr?.on('data', (c: Buffer) => (agentOutput += c.toString()));

    const reported = await eventually('applied hash in the status', async () => {
      const o = await client.get(LoadBalancer, { namespace: ns, name: 'shop' });
      return o.status?.appliedConfigHash !== undefined && o.status.appliedConfigHash === o.status.configHash ? o : undefined;
    }, 60_000).catch((e: Error) => assert.fail(`${e.message}\nagent output:\n${agentOutput}`));
    assert.equal(condition(reported, 'Progressing')?.status, 'False');

    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await get(`http://${address}:${port}/`)).body);
    assert.deepEqual([...seen].sort(), ['backend-a', 'backend-b']);
  });

  it('applies a member change without new pods and reports the new hash', async () => {
    const before = await client.get(LoadBalancer, { namespace: ns, name: 'shop' });
    const dep = await client.get(Deployment, { namespace: ns, name: 'shop-haproxy' });
    await client.patch(LoadBalancer, { namespace: ns, name: 'shop' }, { spec: { pools: [{ name: 'web', members: [{ address: b.address, port: b.port }] }] } }, 'merge');
    const after = await eventually('new hash applied', async () => {
      const o = await client.get(LoadBalancer, { namespace: ns, name: 'shop' });
      return o.status?.configHash !== before.status?.configHash && o.status?.appliedConfigHash === o.status?.configHash ? o : undefined;
    }, 60_000).catch((e: Error) => assert.fail(`${e.message}\nagent output:\n${agentOutput}`));
    assert.equal(condition(after, 'Progressing')?.reason, 'UpToDate');
    const address = after.status?.address ?? '';
    for (let i = 0; i < 4; i++) assert.equal((await get(`http://${address}:${port}/`)).body, 'backend-b');
    const depAfter = await client.get(Deployment, { namespace: ns, name: 'shop-haproxy' });
    assert.equal(depAfter.metadata.generation, dep.metadata.generation, 'the Deployment was not touched');
    assert.match(agentOutput, /servers updated without reload/);
  });

  it('reports a configuration HAProxy refuses as Degraded while the old one keeps serving', async () => {
    const lb = await client.get(LoadBalancer, { namespace: ns, name: 'shop' });
    const address = lb.status?.address ?? '';
    // Something else holds the port the new listener wants: `haproxy -c` passes, the reload cannot bind.
    const squatter = createServer();
    const busy = await freePort(address);
    await new Promise<void>((r) => squatter.listen(busy, address, r));
    try {
      await client.patch(
        LoadBalancer,
        { namespace: ns, name: 'shop' },
        { spec: { listeners: [{ name: 'http', port, protocol: 'HTTP', defaultPool: 'web' }, { name: 'extra', port: busy, protocol: 'HTTP', defaultPool: 'web' }] } },
        'merge',
      );
      const degraded = await eventually('Degraded ConfigurationRejected', async () => {
        const o = await client.get(LoadBalancer, { namespace: ns, name: 'shop' });
        return condition(o, 'Degraded')?.reason === 'ConfigurationRejected' ? o : undefined;
      }, 60_000).catch((e: Error) => assert.fail(`${e.message}\nagent output:\n${agentOutput}`));
      assert.match(condition(degraded, 'Degraded')?.message ?? '', /HAProxy refused the newest configuration on 1 replica\(s\) and keeps serving the previous one/);
      assert.notEqual(degraded.status?.appliedConfigHash, degraded.status?.configHash);
      assert.equal((await get(`http://${address}:${port}/`)).body, 'backend-b', 'the previous configuration still serves');
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
    // The port is free again: removing the listener (or retrying) brings the LB back to a clean state.
    await client.patch(LoadBalancer, { namespace: ns, name: 'shop' }, { spec: { listeners: [{ name: 'http', port, protocol: 'HTTP', defaultPool: 'web' }] } }, 'merge');
    await eventually('healthy again', async () => {
      const o = await client.get(LoadBalancer, { namespace: ns, name: 'shop' });
      return condition(o, 'Degraded')?.status === 'False' && o.status?.appliedConfigHash === o.status?.configHash ? o : undefined;
    }, 60_000).catch((e: Error) => assert.fail(`${e.message}\nagent output:\n${agentOutput}`));
  });
});
