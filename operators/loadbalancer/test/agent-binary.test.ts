// tugboat-lb-agent as the agent image ships it: one executable built by scripts/build-agent.sh
// (esbuild bundle + Node single executable application + postject). It runs with no Node on
// PATH and no node_modules around it, in host mode against the Debian HAProxy, from a
// mounted-ConfigMap directory (as agent-process.test.ts runs the TypeScript entry), and says
// clearly what is wrong with its flags. The build is cached, so a second run takes about a second.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, open, readFile, readlink, realpath, rm } from 'node:fs/promises';
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

const buildScript = fileURLToPath(new URL('../scripts/build-agent.sh', import.meta.url));
const binary = fileURLToPath(new URL('../dist/tugboat-lb-agent', import.meta.url));

// What the binary gets: nothing of this process's environment. /usr/bin and /bin are left out
// because Debian machines may have a system node there (this one has Node 20 in /usr/bin);
// /usr/sbin holds haproxy, which the agent finds on PATH as it does in the HAProxy image.
const bare = { PATH: '/usr/sbin:/sbin' };

let dir: string;
let backend: Backend;

before(async () => {
  const started = Date.now();
  const built = await new Promise<string>((resolve, reject) =>
    execFile(buildScript, { timeout: 300_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${buildScript} failed: ${String(err)}\n${stdout}${stderr}`)) : resolve(`${stdout}${stderr}`.trim()),
    ),
  );
  process.stderr.write(`# ${built} (${Date.now() - started} ms with the cache check)\n`);
  dir = await mkdtemp(join(tmpdir(), 'tugboat-lb-bin-'));
  backend = await startBackend('from-binary');
}, { timeout: 300_000 });

after(async () => {
  await backend?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function agentBinary(args: string[]): { child: ChildProcess; output: () => string } {
  // cwd outside the repository: nothing can be resolved from its node_modules.
  const child = spawn(binary, args, { cwd: dir, env: bare, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

async function run(args: string[]): Promise<{ code: number; output: string }> {
  const { child, output } = agentBinary(args);
  const [code] = (await once(child, 'exit')) as [number];
  return { code, output: output() };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const smallClass = { ...builtinClassSpec, sizes: { small: { cpu: '1', memory: '64Mi', maxConnections: 2000 } } };

test('the executable is a native ELF program, and the environment it runs in has no node but has haproxy', async () => {
  const file = await open(binary, 'r');
  try {
    const { buffer } = await file.read(Buffer.alloc(4), 0, 4, 0);
    assert.deepEqual([...buffer], [0x7f, 0x45, 0x4c, 0x46], 'an ELF header, not a script that calls node');
  } finally {
    await file.close();
  }
  const node = spawnSync('/bin/sh', ['-c', 'command -v node'], { env: bare, encoding: 'utf8' });
  assert.notEqual(node.status, 0, `node is on PATH=${bare.PATH}: ${node.stdout}`);
  assert.equal(node.stdout, '');
  const haproxy = spawnSync('/bin/sh', ['-c', 'command -v haproxy'], { env: bare, encoding: 'utf8' });
  assert.equal(haproxy.stdout.trim(), '/usr/sbin/haproxy');
});

test('--help prints the usage; unknown flags, bad values and missing sources are refused with a message that names them', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.output, /^usage: tugboat-lb-agent /);
  assert.match(help.output, /--config-dir <dir>/);

  const unknown = await run(['--config-dir', join(dir, 'x'), '--no-such-flag']);
  assert.equal(unknown.code, 2, 'a usage error, like the others');
  assert.match(unknown.output, /Unknown option '--no-such-flag'/);
  assert.match(unknown.output, /usage: tugboat-lb-agent /);

  const configmap = await run(['--configmap', 'only-a-name', '--work-dir', join(dir, 'x')]);
  assert.equal(configmap.code, 2);
  assert.match(configmap.output, /^--configmap must be <namespace>\/<name>\nusage: tugboat-lb-agent /);

  const poll = await run(['--config-dir', join(dir, 'x'), '--poll', 'soon']);
  assert.equal(poll.code, 2);
  assert.match(poll.output, /^--poll must be a number of seconds above 0\n/);

  const none = await run(['--work-dir', join(dir, 'x')]);
  assert.equal(none.code, 2);
  assert.match(none.output, /^give --configmap, --config-dir, or both\n/);
});

test('in host mode with --config-dir it starts the Debian HAProxy, traffic flows to the backend, a ..data swap moves it, and SIGTERM stops both', async () => {
  const address = randomLoopback();
  const [port, statsPort, agentPort] = await Promise.all([freePort(address), freePort(address), freePort('127.0.0.1')]);
  const render = (members: { address: string; port: number }[]) =>
    renderHaproxyConfig({
      namespace: 'demo',
      name: 'binary',
      spec: httpSpec(port, members),
      classSpec: smallClass,
      bindAddresses: [address],
      runtime: { adminSocket: join(dir, 'admin.sock'), statsAddress: address, statsPort },
    });
  const configDir = join(dir, 'config');
  const v1 = render([{ address: backend.address, port: backend.port }]);
  await publishConfigMapDir(configDir, v1.files);
  const statusFile = join(dir, 'status.json');
  const { child, output } = agentBinary(['--config-dir', configDir, '--work-dir', join(dir, 'work'), '--listen', `127.0.0.1:${agentPort}`, '--status-file', statusFile, '--poll', '1']);
  try {
    const readyz = (hash: string) =>
      waitFor(`/readyz with ${hash.slice(0, 12)}`, async () => {
        const r = await get(`http://127.0.0.1:${agentPort}/readyz`);
        return r.status === 200 && r.body.startsWith(`ok ${hash}`) ? r : undefined;
      }).catch((e: Error) => assert.fail(`${e.message}\n${output()}`));
    assert.equal((await readyz(v1.hash)).body, `ok ${v1.hash} source=file\n`);
    // The process serving is the executable itself, not a node running a script.
    assert.equal(await readlink(`/proc/${child.pid}/exe`), await realpath(binary));

    const seenBefore = backend.seen.length;
    for (let i = 0; i < 5; i++) assert.equal((await get(`http://${address}:${port}/`)).body, 'from-binary');
    assert.equal(backend.seen.length - seenBefore, 5, 'each request reached the backend through HAProxy');
    assert.match((await get(`http://127.0.0.1:${agentPort}/metrics`)).body, /^tugboat_lb_agent_haproxy_up 1$/m);

    const status = JSON.parse(await readFile(statusFile, 'utf8')) as { appliedHash: string; haproxyMasterPid: number };
    assert.equal(status.appliedHash, v1.hash);
    // HAProxy's master is the agent's child, started from /usr/sbin/haproxy found on the bare PATH.
    assert.equal(await readlink(`/proc/${status.haproxyMasterPid}/exe`), '/usr/sbin/haproxy');
    assert.match(await readFile(`/proc/${status.haproxyMasterPid}/status`, 'utf8'), new RegExp(`^PPid:\\s+${child.pid}$`, 'm'));

    // The kubelet's ..data swap is picked up (fs.watch and the poll work in the bundle).
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
    await waitFor('HAProxy to be gone', () => (alive(status.haproxyMasterPid) ? undefined : true), 10_000);
    await assert.rejects(get(`http://${address}:${port}/`, { timeoutMs: 1000 }));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('with --configmap and a kubeconfig whose apiserver is unreachable, the bundled API client fails over to the mounted directory', async () => {
  const address = randomLoopback();
  const [port, statsPort, agentPort, closedPort] = await Promise.all([freePort(address), freePort(address), freePort('127.0.0.1'), freePort('127.0.0.1')]);
  const cfg = renderHaproxyConfig({
    namespace: 'demo',
    name: 'cut-off',
    spec: httpSpec(port, [{ address: backend.address, port: backend.port }]),
    classSpec: smallClass,
    bindAddresses: [address],
    runtime: { adminSocket: join(dir, 'cut-off-admin.sock'), statsAddress: address, statsPort },
  });
  const kubeconfig = await writeUnreachableKubeconfig(join(dir, 'kubeconfig-closed'), closedPort);
  const configDir = join(dir, 'cut-off-config');
  await publishConfigMapDir(configDir, cfg.files);
  const { child, output } = agentBinary([
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
    const ready = await waitFor('/readyz', async () => {
      const r = await get(`http://127.0.0.1:${agentPort}/readyz`);
      return r.status === 200 ? r : undefined;
    }).catch((e: Error) => assert.fail(`${e.message}\n${output()}`));
    assert.equal(ready.body, `ok ${cfg.hash} source=file\n`);
    assert.equal((await get(`http://${address}:${port}/`)).body, 'from-binary');
    const status = JSON.parse((await get(`http://127.0.0.1:${agentPort}/status`)).body) as { source: { active: string; api: string; apiError: string } };
    assert.equal(status.source.active, 'file');
    assert.equal(status.source.api, 'unreachable');
    assert.match(status.source.apiError, /ECONNREFUSED/);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0, output());
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
