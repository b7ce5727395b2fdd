// The agent with both sources, for real: the ConfigMap through a kube-apiserver (reached
// through a TCP relay the test cuts, as a network policy or a dead apiserver would) and its
// mounted copy in a kubelet-style directory, applied to a real HAProxy. Cut off, the agent
// follows the mounted files and applies a `..data` swap; it never rolls back to a mounted
// copy older than what the API delivered; when the API answers again it follows the API. An
// agent the apiserver refuses (no RBAC) serves the mounted files at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, type ControlPlane } from '@tugboat/testenv';
import { ConfigMap, createClient, Role, RoleBinding, type Client } from '@tugboat/runtime';
import { fallbackConfigSource } from '../src/agent/fallback-source.js';
import { fileConfigSource } from '../src/agent/file-source.js';
import type { AgentStatus } from '../src/agent/status.js';
import { startBackend, type Backend } from './support/backends.js';
import { publishConfigMapDir } from './support/configmap-dir.js';
import { get, waitFor } from './support/http.js';
import { freePort, startTestLb, type TestLb } from './support/lb.js';
import { httpSpec } from './support/specs.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

let cp: ControlPlane;
let admin: Client;
let a: Backend, b: Backend, c: Backend;

before(async () => {
  [a, b, c] = await Promise.all([startBackend('A'), startBackend('B'), startBackend('C')]);
  cp = await startControlPlane();
  admin = await createClient({ kubeconfig: cp.kubeconfigPath });
});

after(async () => {
  await admin?.close();
  await cp?.stop();
  await Promise.all([a, b, c].map((x) => x?.close()));
});

const member = (x: Backend) => ({ address: x.address, port: x.port });

// Short enough for a test; the kubelet of this test is the test itself, which writes the
// directory at once, so no kubelet lag needs waiting out.
const apiOptions = { watchTimeoutSeconds: 30, maxBackoffMs: 300, listTimeoutMs: 2_000 };

function sourceState(lb: TestLb, check: (s: NonNullable<AgentStatus['source']>) => boolean, what: string) {
  return waitFor(what, () => {
    const s = lb.agent.status().source;
    return s !== undefined && check(s) ? s : undefined;
  });
}

async function bodies(url: string, n = 4): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add((await get(url)).body);
  return [...seen].sort();
}

function metric(lb: TestLb, line: RegExp): boolean {
  return line.test(lb.agent.registry.expose());
}

describe('agent with the API first and the mounted ConfigMap as fallback', () => {
  const key = { namespace: 'default', name: 'lb-cut-haproxy' };
  let proxy: TcpProxy;
  let client: Client;
  let lb: TestLb;
  let port: number;
  let url: string;
  const put = (files: Record<string, string>) => admin.apply(ConfigMap, { metadata: { ...key }, data: files }, { fieldManager: 'test', force: true });

  before(async () => {
    const server = new URL(cp.server);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) });
    client = await createClient({ kubeconfig: cp.kubeconfigPath, server: `https://127.0.0.1:${proxy.port}` });
    lb = await startTestLb({
      source: (dir) => fallbackConfigSource(client, { ...key, ...apiOptions }, fileConfigSource(dir, { pollMs: 1000, settleMs: 20 }), { graceMs: 1_500, kubeletLagMs: 0 }),
    });
    port = await freePort(lb.address);
    url = `http://${lb.address}:${port}/`;
  });

  after(async () => {
    await lb?.close();
    await client?.close();
    await proxy?.close();
  });

  test('follows the API: a change is served before the mounted copy has it', async () => {
    const v1 = lb.render(httpSpec(port, [member(a)]));
    await publishBoth(v1.files);
    await lb.applied(v1.hash);
    const v2 = lb.render(httpSpec(port, [member(b)]));
    await put(v2.files);
    assert.equal((await lb.applied(v2.hash)).lastMethod, 'runtime');
    assert.deepEqual(await bodies(url), ['B']);
    const s = lb.agent.status().source;
    assert.equal(s?.active, 'api');
    assert.equal(s?.api, 'connected');
    assert.ok(metric(lb, /^tugboat_lb_agent_config_source\{source="api"\} 1$/m));
    assert.ok(metric(lb, /^tugboat_lb_agent_api_connected 1$/m));
  });

  test('cut off from the API, it follows the mounted files but keeps the newer API version over the stale mounted one', async () => {
    const applied = lb.agent.status().appliedHash;
    const mounted = lb.render(httpSpec(port, [member(a)])).hash;
    await proxy.cut();
    const s = await sourceState(lb, (x) => x.active === 'file', 'the agent to follow the mounted files');
    assert.equal(s.api, 'unreachable');
    assert.ok(s.apiError);
    assert.equal(s.heldBack?.hash, mounted, 'the stale mounted version is reported as held back');
    assert.equal(lb.agent.status().appliedHash, applied, 'nothing rolled back');
    assert.deepEqual(await bodies(url), ['B']);
    assert.ok(metric(lb, /^tugboat_lb_agent_config_source\{source="file"\} 1$/m));
    assert.ok(metric(lb, /^tugboat_lb_agent_config_source\{source="api"\} 0$/m));
    assert.ok(metric(lb, /^tugboat_lb_agent_api_connected 0$/m));
    assert.ok(metric(lb, /^tugboat_lb_agent_file_config_held_back 1$/m));
    assert.ok(metric(lb, /^tugboat_lb_agent_config_source_switches_total\{to="file"\} 1$/m));
  });

  test('while the API is unreachable, a ..data swap in the mounted directory is applied', async () => {
    const v3 = lb.render(httpSpec(port, [member(c)]));
    await lb.publish(v3.files);
    assert.equal((await lb.applied(v3.hash)).lastMethod, 'runtime');
    assert.deepEqual(await bodies(url), ['C']);
    assert.equal(lb.agent.status().source?.heldBack, undefined);
    assert.ok(metric(lb, /^tugboat_lb_agent_file_config_held_back 0$/m));
  });

  test('when the API answers again, the agent follows it', async () => {
    const v4 = lb.render(httpSpec(port, [member(a), member(b)]));
    await put(v4.files);
    await proxy.restore();
    await lb.applied(v4.hash);
    assert.deepEqual(await bodies(url), ['A', 'B']);
    const s = await sourceState(lb, (x) => x.active === 'api' && x.api === 'connected', 'the agent to follow the API');
    assert.equal(s.apiError, undefined);
    // A change through the API arrives through the watch again.
    const v5 = lb.render(httpSpec(port, [member(b), member(c)]));
    await put(v5.files);
    await lb.applied(v5.hash);
    assert.deepEqual(await bodies(url), ['B', 'C']);
  });

  test('in the next outage, the mounted version it applied in the last one is stale and stays held back', async () => {
    // The mount still holds v3 (members C), which the API never delivered; the API has since
    // delivered v5. v3 was in the mount when the API was listed again, so it is known as older.
    const applied = lb.agent.status().appliedHash;
    await proxy.cut();
    const s = await sourceState(lb, (x) => x.active === 'file', 'the agent to follow the mounted files again');
    assert.equal(s.heldBack?.hash, lb.render(httpSpec(port, [member(c)])).hash);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(lb.agent.status().appliedHash, applied);
    assert.deepEqual(await bodies(url), ['B', 'C']);
    // A newer mounted version is applied (not members A alone: that was v1, which would wait),
    // and the API wins again once it is back.
    const v6 = lb.render(httpSpec(port, [member(a), member(c)]));
    await lb.publish(v6.files);
    await lb.applied(v6.hash);
    const v7 = lb.render(httpSpec(port, [member(a), member(b), member(c)]));
    await put(v7.files);
    await proxy.restore();
    await lb.applied(v7.hash);
    assert.deepEqual(await bodies(url, 6), ['A', 'B', 'C']);
  });

  // lb.publish waits for the agent to act, and while it follows the API a mounted copy is no
  // news; the kubelet is written to directly here.
  async function publishBoth(files: Record<string, string>): Promise<void> {
    await put(files);
    await publishConfigMapDir(lb.configDir, files);
  }
});

describe('agent whose path to the API goes silent', () => {
  const key = { namespace: 'default', name: 'lb-silent-haproxy' };
  let proxy: TcpProxy;
  let client: Client;
  let lb: TestLb;
  let port: number;

  before(async () => {
    const server = new URL(cp.server);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) });
    client = await createClient({ kubeconfig: cp.kubeconfigPath, server: `https://127.0.0.1:${proxy.port}` });
    lb = await startTestLb({
      source: (dir) =>
        fallbackConfigSource(client, { ...key, ...apiOptions, stallTimeoutMs: 1_500 }, fileConfigSource(dir, { pollMs: 1000, settleMs: 20 }), { graceMs: 1_000, kubeletLagMs: 0 }),
    });
    port = await freePort(lb.address);
  });

  after(async () => {
    await lb?.close();
    await client?.close();
    await proxy?.close();
  });

  test('a watch that delivers nothing and lists that never answer end in the mounted files, with no error from the network', async () => {
    const v1 = lb.render(httpSpec(port, [member(a)]));
    await admin.apply(ConfigMap, { metadata: { ...key }, data: v1.files }, { fieldManager: 'test', force: true });
    await publishConfigMapDir(lb.configDir, v1.files);
    await lb.applied(v1.hash);
    proxy.freeze();
    const s = await sourceState(lb, (x) => x.active === 'file', 'the agent to follow the mounted files');
    assert.match(s.apiError ?? '', /delivered nothing|aborted|timeout/i);
    const v2 = lb.render(httpSpec(port, [member(b)]));
    await lb.publish(v2.files);
    await lb.applied(v2.hash);
    assert.deepEqual(await bodies(`http://${lb.address}:${port}/`), ['B']);
    await proxy.restore();
    await sourceState(lb, (x) => x.active === 'api', 'the agent to follow the API again');
    await lb.applied(v1.hash);
  });
});

describe('agent that the apiserver refuses', () => {
  const key = { namespace: 'default', name: 'lb-denied-haproxy' };
  const user = 'lb-agent-without-rbac';
  let client: Client;
  let lb: TestLb;
  let port: number;

  before(async () => {
    client = await createClient({ kubeconfig: await cp.addUser(user) });
    // A grace far longer than the test: a refusal must not wait for it.
    lb = await startTestLb({
      source: (dir) => fallbackConfigSource(client, { ...key, ...apiOptions }, fileConfigSource(dir, { pollMs: 1000, settleMs: 20 }), { graceMs: 600_000, kubeletLagMs: 0 }),
    });
    port = await freePort(lb.address);
  });

  after(async () => {
    await lb?.close();
    await client?.close();
  });

  test('serves the mounted files at once, and follows the API once it may read the ConfigMap', async () => {
    const mounted = lb.render(httpSpec(port, [member(a)]));
    await admin.apply(ConfigMap, { metadata: { ...key }, data: mounted.files }, { fieldManager: 'test', force: true });
    await lb.publish(mounted.files);
    await lb.applied(mounted.hash);
    const s = lb.agent.status().source;
    assert.equal(s?.active, 'file');
    assert.equal(s?.api, 'denied');
    assert.match(s?.apiError ?? '', /forbidden/);
    assert.deepEqual(await bodies(`http://${lb.address}:${port}/`), ['A']);

    const newer = lb.render(httpSpec(port, [member(b)]));
    await admin.apply(ConfigMap, { metadata: { ...key }, data: newer.files }, { fieldManager: 'test', force: true });
    const metadata = { name: 'lb-agent-reads-configmaps', namespace: key.namespace };
    await admin.create(Role, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    });
    await admin.create(RoleBinding, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: metadata.name },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
    });
    await lb.applied(newer.hash);
    assert.equal(lb.agent.status().source?.active, 'api');
    assert.deepEqual(await bodies(`http://${lb.address}:${port}/`), ['B']);
  });
});
