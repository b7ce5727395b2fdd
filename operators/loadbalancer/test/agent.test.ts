// tugboat-lb-agent against a real HAProxy 2.6 and real HTTP backends on loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { promisify } from 'node:util';
import { cliCommand } from '../src/agent/cli.js';
import { serveAgentHttp } from '../src/agent/http.js';
import { parseShowProc } from '../src/agent/proc.js';
import { mainConfigFile } from '../src/agent/plan.js';
import { startBackend, type Backend } from './support/backends.js';
import { get, waitFor } from './support/http.js';
import { freePort, startTestLb, type TestLb } from './support/lb.js';
import { httpSpec, spec } from './support/specs.js';
import { makeCertificate } from './support/tls.js';

const run = promisify(execFile);

async function workerPid(lb: TestLb): Promise<number> {
  const info = await cliCommand(lb.adminSocket, 'show info');
  return Number(/^Pid: (\d+)$/m.exec(info)?.[1]);
}

async function masterReloads(lb: TestLb): Promise<number> {
  const table = parseShowProc(await cliCommand(lb.masterSocket, 'show proc'));
  assert.ok(table);
  return table.reloads;
}

async function tally(url: string, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await get(url);
    assert.equal(r.status, 200);
    counts.set(r.body, (counts.get(r.body) ?? 0) + 1);
  }
  return counts;
}

describe('agent with a real HAProxy', () => {
  let lb: TestLb;
  let a: Backend, b: Backend, c: Backend;
  let port: number;
  let url: string;

  before(async () => {
    [a, b, c] = await Promise.all([startBackend('A'), startBackend('B'), startBackend('C')]);
    lb = await startTestLb();
    port = await freePort(lb.address);
    url = `http://${lb.address}:${port}/`;
  });

  after(async () => {
    await lb?.close();
    await Promise.all([a, b, c].map((x) => x?.close()));
  });

  test('traffic flows through the LB to two backends in round robin', async () => {
    const cfg = lb.render(httpSpec(port, [{ address: a.address, port: a.port }, { address: b.address, port: b.port }]));
    await lb.publish(cfg.files);
    const status = await lb.applied(cfg.hash);
    assert.equal(status.lastMethod, 'start');
    const counts = await tally(url, 10);
    assert.deepEqual(Object.fromEntries(counts), { A: 5, B: 5 });
    // The LB set X-Forwarded-For/Proto, replacing what the client claimed.
    await get(url, { headers: { 'X-Forwarded-For': '6.6.6.6' } });
    const seen = [...a.seen, ...b.seen].at(-1);
    assert.equal(seen?.['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen?.['x-forwarded-proto'], 'http');
  });

  test('a member change shifts traffic through the runtime API, without a reload', async () => {
    const pidBefore = await workerPid(lb);
    const reloadsBefore = await masterReloads(lb);
    const cfg = lb.render(httpSpec(port, [{ address: a.address, port: a.port }, { address: c.address, port: c.port, weight: 3 }]));
    await lb.publish(cfg.files);
    const status = await lb.applied(cfg.hash);
    assert.equal(status.lastMethod, 'runtime');
    assert.equal(status.reloads, 0);
    const counts = await tally(url, 12);
    assert.deepEqual(Object.fromEntries(counts), { A: 3, C: 9 });
    assert.equal(await workerPid(lb), pidBefore, 'the same HAProxy worker serves');
    assert.equal(await masterReloads(lb), reloadsBefore, 'the master did not reload');
    // The live file matches what runs, so a later reload keeps the change.
    assert.equal(await readFile(`${lb.dir}/work/live/${mainConfigFile}`, 'utf8'), cfg.files[mainConfigFile]);
  });

  test('a listener change reloads with zero failed requests under continuous load', async () => {
    const pidBefore = await workerPid(lb);
    const reloadsBefore = await masterReloads(lb);
    const extraPort = await freePort(lb.address);
    const members = [{ address: a.address, port: a.port }, { address: c.address, port: c.port, weight: 3 }];
    const next = lb.render(
      spec({
        ipPool: 'loopback',
        listeners: [
          { name: 'web', port, protocol: 'HTTP', defaultPool: 'app' },
          { name: 'extra', port: extraPort, protocol: 'HTTP', defaultPool: 'app' },
        ],
        pools: [{ name: 'app', members }],
      }),
    );
    let ok = 0;
    const failures: string[] = [];
    let stop = false;
    const deadline = Date.now() + 30_000;
    const loop = async (agent?: HttpAgent) => {
      while (!stop && Date.now() < deadline) {
        try {
          const r = await get(url, agent ? { agent } : {});
          if (r.status === 200) ok++;
          else failures.push(`status ${r.status}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const keepAlive = Array.from({ length: 3 }, () => new HttpAgent({ keepAlive: true, maxSockets: 1 }));
    const load = Promise.all([...keepAlive.map((ag) => loop(ag)), loop(), loop()]);
    await waitFor('load to start', () => (ok > 50 ? true : undefined));
    await lb.publish(next.files);
    const status = await lb.applied(next.hash);
    const atReload = ok;
    await waitFor('load after the reload', () => (ok > atReload + 200 ? true : undefined));
    stop = true;
    await load;
    for (const ag of keepAlive) ag.destroy();
    assert.equal(status.lastMethod, 'reload');
    assert.deepEqual(failures, [], `${failures.length} of ${ok + failures.length} requests failed`);
    assert.ok(ok > 250, `only ${ok} requests ran`);
    assert.equal(await masterReloads(lb), reloadsBefore + 1);
    assert.notEqual(await workerPid(lb), pidBefore, 'a new worker serves');
    assert.equal((await get(`http://${lb.address}:${extraPort}/`)).status, 200);
  });

  test('a broken configuration is never applied and the old one keeps serving', async () => {
    const good = lb.agent.status().appliedHash;
    assert.ok(good);
    const live = await readFile(`${lb.dir}/work/live/${mainConfigFile}`, 'utf8');
    // 1. Refused by haproxy -c.
    const broken = { [mainConfigFile]: `${live}\nbackend broken\n    this-is-not-a-keyword\n` };
    const s1 = await lb.publish(broken);
    assert.equal(s1.appliedHash, good);
    assert.match(s1.rejected?.reason ?? '', /haproxy -c: .*unknown keyword 'this-is-not-a-keyword'/s);
    assert.equal((await get(url)).status, 200);
    // 2. Valid for haproxy -c (which binds nothing), but the reload fails: the port is taken.
    const unbindable = { [mainConfigFile]: `${live}\nfrontend unbindable\n    bind ${a.address}:${a.port}\n    default_backend bk_app\n` };
    const s2 = await lb.publish(unbindable);
    assert.equal(s2.appliedHash, good);
    assert.match(s2.rejected?.reason ?? '', /^reload: HAProxy refused the new configuration/);
    assert.equal(await readFile(`${lb.dir}/work/live/${mainConfigFile}`, 'utf8'), live, 'the previous files are back in place');
    assert.equal((await get(url)).status, 200);
    // 3. The next good configuration applies and clears the rejection.
    const cfg = lb.render(httpSpec(port, [{ address: a.address, port: a.port }, { address: b.address, port: b.port }]));
    await lb.publish(cfg.files);
    const s3 = await lb.applied(cfg.hash);
    assert.equal(s3.rejected, undefined);
    assert.deepEqual(Object.fromEntries(await tally(url, 4)), { A: 2, B: 2 });
    const fromFile = JSON.parse(await readFile(`${lb.dir}/status.json`, 'utf8')) as { appliedHash: string };
    assert.equal(fromFile.appliedHash, cfg.hash);
  });

  test('the agent and HAProxy expose Prometheus metrics', async () => {
    const http = await serveAgentHttp(lb.agent, '127.0.0.1', 0);
    try {
      const m = await get(`http://127.0.0.1:${http.port}/metrics`);
      assert.match(m.body, /^tugboat_lb_agent_applies_total\{method="runtime"\} 1$/m);
      assert.match(m.body, /^tugboat_lb_agent_rejected_configs_total 2$/m);
      assert.match(m.body, new RegExp(`^tugboat_lb_agent_applied_config_info\\{hash="${lb.agent.status().appliedHash}"\\} 1$`, 'm'));
      assert.equal((await get(`http://127.0.0.1:${http.port}/readyz`)).status, 200);
    } finally {
      await http.close();
    }
    const promex = await get(`http://${lb.address}:${lb.statsPort}/metrics`);
    assert.equal(promex.status, 200);
    assert.match(promex.body, /^haproxy_backend_active_servers\{proxy="bk_app"\} 2$/m);
  });
});

describe('HTTPS termination', () => {
  let lb: TestLb;
  let backend: Backend;

  before(async () => {
    backend = await startBackend('secure');
    lb = await startTestLb();
  });

  after(async () => {
    await lb?.close();
    await backend?.close();
  });

  test('serves a generated certificate that curl verifies, and tells members the scheme', async () => {
    const cert = await makeCertificate(lb.dir, ['shop.example.test', 'www.example.test']);
    const port = await freePort(lb.address);
    const cfg = lb.render(
      spec({
        ipPool: 'loopback',
        listeners: [{ name: 'https', port, protocol: 'HTTPS', defaultPool: 'app', tls: { certificates: [{ secretRef: { name: 'shop-tls' }, sniHosts: ['shop.example.test', 'www.example.test'] }] } }],
        pools: [{ name: 'app', members: [{ address: backend.address, port: backend.port }] }],
      }),
      { certificatePaths: { 'shop-tls': cert.certFile } },
    );
    assert.match(cfg.files['https.crtlist'] ?? '', /site\.pem shop\.example\.test www\.example\.test/);
    await lb.publish(cfg.files);
    await lb.applied(cfg.hash);
    const { stdout } = await run('curl', ['-sS', '--fail', '--cacert', cert.caFile, '--resolve', `shop.example.test:${port}:${lb.address}`, `https://shop.example.test:${port}/`]);
    assert.equal(stdout, 'secure');
    assert.equal(backend.seen.at(-1)?.['x-forwarded-proto'], 'https');
    // Without the CA, verification fails: the test above did verify.
    await assert.rejects(run('curl', ['-sS', '--fail', '--resolve', `shop.example.test:${port}:${lb.address}`, `https://shop.example.test:${port}/`]));
  });
});

describe('members swapped in a health-checked pool', () => {
  let lb: TestLb;
  let a: Backend, b: Backend, c: Backend;

  before(async () => {
    [a, b, c] = await Promise.all([startBackend('A'), startBackend('B'), startBackend('C')]);
    lb = await startTestLb();
  });

  after(async () => {
    await lb?.close();
    await Promise.all([a, b, c].map((x) => x?.close()));
  });

  test('two members replaced by one new one (the demo patch) move traffic without a reload', async () => {
    const port = await freePort(lb.address);
    const url = `http://${lb.address}:${port}/`;
    const web = (members: { address: string; port: number }[]) =>
      lb.render(
        spec({
          ipPool: 'loopback',
          listeners: [{ name: 'http', port, protocol: 'HTTP', defaultPool: 'web' }],
          pools: [{ name: 'web', members, healthMonitor: { type: 'HTTP', interval: '500ms', timeout: '400ms', http: { path: '/healthz', expectedCodes: '200' } } }],
        }),
      );
    const first = web([{ address: a.address, port: a.port }, { address: b.address, port: b.port }]);
    await lb.publish(first.files);
    await lb.applied(first.hash);
    assert.deepEqual(Object.fromEntries(await tally(url, 4)), { A: 2, B: 2 });
    const pidBefore = await workerPid(lb);
    const reloadsBefore = await masterReloads(lb);

    const next = web([{ address: c.address, port: c.port }]);
    await lb.publish(next.files);
    const status = await lb.applied(next.hash);
    assert.equal(status.lastMethod, 'runtime');
    assert.equal(status.reloads, 0);
    // The new member serves once its health check has passed; the old ones get nothing more.
    await waitFor('traffic on the new member only', async () => ((await tally(url, 6)).get('C') === 6 ? true : undefined));
    assert.equal(await workerPid(lb), pidBefore, 'the same HAProxy worker serves');
    assert.equal(await masterReloads(lb), reloadsBefore, 'the master did not reload');
  });
});
