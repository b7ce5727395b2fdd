// tugboat-lb-agent as a process, the way the demo runs it on a host: flags, HTTP endpoints,
// traffic through its HAProxy, and a clean stop on SIGTERM that leaves no HAProxy behind; and
// with both flags a pod gets, serving the mounted directory when the API cannot be reached.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderHaproxyConfig } from '../src/render/haproxy.js';
import { builtinClassSpec } from '../src/api/loadbalancerclass.js';
import { startBackend, type Backend } from './support/backends.js';
import { publishConfigMapDir } from './support/configmap-dir.js';
import { get, waitFor } from './support/http.js';
import { freePort, randomLoopback } from './support/lb.js';
import { httpSpec } from './support/specs.js';
import { writeUnreachableKubeconfig } from './support/unreachable-kubeconfig.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const main = fileURLToPath(new URL('../src/agent/main.ts', import.meta.url));

function agentProcess(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let dir: string;
let backend: Backend;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tugboat-lb-proc-'));
  backend = await startBackend('host-mode');
});

after(async () => {
  await backend?.close();
  await rm(dir, { recursive: true, force: true });
});

test('usage errors exit with 2 and say what is wrong', async () => {
  const { child, output } = agentProcess(['--configmap', 'only-a-name', '--work-dir', join(dir, 'x')]);
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 2);
  assert.match(output(), /--configmap must be <namespace>\/<name>/);
  const none = agentProcess(['--work-dir', join(dir, 'x')]);
  const [noneCode] = (await once(none.child, 'exit')) as [number];
  assert.equal(noneCode, 2);
  assert.match(none.output(), /give --configmap, --config-dir, or both/);
});

test('runs HAProxy from a mounted-ConfigMap directory, serves, reports, and stops cleanly on SIGTERM', async () => {
  const address = randomLoopback();
  const [port, statsPort, agentPort] = await Promise.all([freePort(address), freePort(address), freePort('127.0.0.1')]);
  const configDir = join(dir, 'config');
  const cfg = renderHaproxyConfig({
    namespace: 'demo',
    name: 'web',
    spec: httpSpec(port, [{ address: backend.address, port: backend.port }]),
    classSpec: { ...builtinClassSpec, sizes: { small: { cpu: '1', memory: '64Mi', maxConnections: 2000 } } },
    bindAddresses: [address],
    runtime: { adminSocket: join(dir, 'admin.sock'), statsAddress: address, statsPort },
  });
  await publishConfigMapDir(configDir, cfg.files);
  const statusFile = join(dir, 'status.json');
  const { child, output } = agentProcess(['--config-dir', configDir, '--work-dir', join(dir, 'work'), '--listen', `127.0.0.1:${agentPort}`, '--status-file', statusFile, '--poll', '1']);
  try {
    const ready = await waitFor('/readyz', async () => {
      const r = await get(`http://127.0.0.1:${agentPort}/readyz`);
      return r.status === 200 ? r : undefined;
    });
    assert.equal(ready.body, `ok ${cfg.hash} source=file\n`);
    assert.equal((await get(`http://${address}:${port}/`)).body, 'host-mode');
    assert.match((await get(`http://127.0.0.1:${agentPort}/metrics`)).body, /^tugboat_lb_agent_haproxy_up 1$/m);
    const status = JSON.parse(await readFile(statusFile, 'utf8')) as { appliedHash: string; haproxyMasterPid: number };
    assert.equal(status.appliedHash, cfg.hash);
    assert.ok(alive(status.haproxyMasterPid));
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0, output());
    await waitFor('HAProxy to be gone', () => (alive(status.haproxyMasterPid) ? undefined : true), 10_000);
    await assert.rejects(get(`http://${address}:${port}/`, { timeoutMs: 1000 }));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('with --configmap and --config-dir and no apiserver to reach, serves the mounted directory and says so', async () => {
  const address = randomLoopback();
  const [port, statsPort, agentPort, closedPort] = await Promise.all([freePort(address), freePort(address), freePort('127.0.0.1'), freePort('127.0.0.1')]);
  const render = (members: { address: string; port: number }[]) =>
    renderHaproxyConfig({
      namespace: 'demo',
      name: 'cut-off',
      spec: httpSpec(port, members),
      classSpec: { ...builtinClassSpec, sizes: { small: { cpu: '1', memory: '64Mi', maxConnections: 2000 } } },
      bindAddresses: [address],
      runtime: { adminSocket: join(dir, 'cut-off-admin.sock'), statsAddress: address, statsPort },
    });
  // Nothing listens on closedPort: every list is refused, as with a network policy in the way.
  const kubeconfig = await writeUnreachableKubeconfig(join(dir, 'kubeconfig-closed'), closedPort);
  const configDir = join(dir, 'cut-off-config');
  const v1 = render([{ address: backend.address, port: backend.port }]);
  await publishConfigMapDir(configDir, v1.files);
  const { child, output } = agentProcess([
    '--configmap',
    'demo/cut-off-haproxy',
    '--kubeconfig',
    kubeconfig,
    '--config-dir',
    configDir,
    '--api-grace',
    '1',
    '--work-dir',
    join(dir, 'cut-off-work'),
    '--listen',
    `127.0.0.1:${agentPort}`,
  ]);
  try {
    const readyz = (hash: string) =>
      waitFor(`/readyz with ${hash.slice(0, 12)}`, async () => {
        const r = await get(`http://127.0.0.1:${agentPort}/readyz`);
        return r.status === 200 && r.body.startsWith(`ok ${hash}`) ? r : undefined;
      }).catch((e: Error) => assert.fail(`${e.message}\n${output()}`));
    assert.equal((await readyz(v1.hash)).body, `ok ${v1.hash} source=file\n`);
    assert.equal((await get(`http://${address}:${port}/`)).body, 'host-mode');
    const metrics = (await get(`http://127.0.0.1:${agentPort}/metrics`)).body;
    assert.match(metrics, /^tugboat_lb_agent_config_source\{source="file"\} 1$/m);
    assert.match(metrics, /^tugboat_lb_agent_api_connected 0$/m);
    const status = JSON.parse((await get(`http://127.0.0.1:${agentPort}/status`)).body) as { source: { active: string; api: string; apiError: string } };
    assert.equal(status.source.active, 'file');
    assert.equal(status.source.api, 'unreachable');
    assert.match(status.source.apiError, /ECONNREFUSED/);
    // The kubelet's ..data swap is applied: a second member.
    const second = await startBackend('second');
    try {
      const v2 = render([{ address: second.address, port: second.port }]);
      await publishConfigMapDir(configDir, v2.files);
      await readyz(v2.hash);
      assert.equal((await get(`http://${address}:${port}/`)).body, 'second');
    } finally {
      await second.close();
    }
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0, output());
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
