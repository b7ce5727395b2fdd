// Property tests of the renderer against the real HAProxy parser (`haproxy -c`): every valid
// spec renders a configuration HAProxy accepts, and a hostile string is either refused by the
// API validation or lands in haproxy.cfg as exactly one word that reads back as the value.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkConfig, startHaproxy } from '../src/agent/haproxy.js';
import { validateLoadBalancerSpec } from '../src/api/validate.js';
import { loadBalancerSpecSchema, type LoadBalancerSpec } from '../src/api/loadbalancer.js';
import { builtinClassSpec } from '../src/api/loadbalancerclass.js';
import { certificateSecretNames } from '../src/render/certificates.js';
import { renderHaproxyConfig, type RenderedConfig } from '../src/render/haproxy.js';
import { RenderError } from '../src/render/quote.js';
import { hostileString, validSpec } from './support/arbitraries.js';
import { haproxyWords } from './support/haproxy-words.js';
import { get, waitFor } from './support/http.js';
import { freePort, randomLoopback } from './support/lb.js';
import { httpSpec, renderInput } from './support/specs.js';
import { makeCertificate } from './support/tls.js';

let dir: string;
let certFile: string;
let n = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tugboat-lb-check-'));
  certFile = (await makeCertificate(dir, ['example.test'])).certFile;
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function render(spec: LoadBalancerSpec): RenderedConfig {
  const paths = Object.fromEntries(certificateSecretNames('demo', spec).map((s) => [s, certFile]));
  return renderHaproxyConfig(renderInput(spec, { certificatePaths: paths, runtime: { adminSocket: join(dir, 'admin.sock'), statsAddress: '127.0.0.1', statsPort: 8404 } }));
}

async function haproxyAccepts(cfg: RenderedConfig): Promise<void> {
  const d = join(dir, `c${n++}`);
  await mkdir(d);
  for (const [name, content] of Object.entries(cfg.files)) await writeFile(join(d, name), content);
  const r = await checkConfig(d);
  await rm(d, { recursive: true, force: true });
  assert.ok(r.ok, `haproxy -c refused:\n${r.ok ? '' : r.output}\n---\n${cfg.files['haproxy.cfg']}`);
}

test('every valid spec renders a configuration that haproxy -c accepts (property)', async () => {
  await fc.assert(
    fc.asyncProperty(validSpec, async (spec) => {
      assert.deepEqual(validateLoadBalancerSpec(spec), []);
      await haproxyAccepts(render(spec));
    }),
    { numRuns: 60 },
  );
});

const base = {
  ipPool: 'p',
  listeners: [
    {
      name: 'web',
      port: 8080,
      protocol: 'HTTP',
      defaultPool: 'app',
      policies: [
        { name: 'hdr', action: 'Reject', rules: [{ type: 'Header', headerName: 'X-Token', match: 'Contains', value: 'bad' }] },
        { name: 'host', action: 'ForwardToPool', pool: 'app', rules: [{ type: 'Host', value: 'example.com' }] },
        { name: 'path', action: 'Redirect', redirect: { url: 'https://example.com/next' }, rules: [{ type: 'Path', match: 'Prefix', value: '/old' }] },
      ],
    },
    {
      // Frontends render in name order and number their ACLs per frontend: this one sorts after
      // 'web', so the lines the fields above look for are found first.
      name: 'websecure',
      port: 8443,
      protocol: 'HTTPS',
      defaultPool: 'app',
      tls: { certificates: [{ secretRef: { name: 'site' }, sniHosts: ['example.test'] }] },
      policies: [{ name: 'moved', action: 'Redirect', redirect: { prefix: 'https://example.com' }, rules: [{ type: 'Path', match: 'Prefix', value: '/moved' }] }],
    },
  ],
  pools: [
    {
      name: 'app',
      members: [{ address: '10.0.0.1', port: 80 }],
      healthMonitor: { type: 'HTTP', http: { path: '/health', host: 'app.example.com' } },
      sessionPersistence: { type: 'HTTPCookie', cookieName: 'SRV' },
    },
  ],
};

type Input = typeof base;
type Field = { name: string; set: (s: Input, v: string) => unknown; lineOf?: (words: string[]) => boolean; unwrap?: (word: string) => string };
const clone = (s: Input): Input => structuredClone(s);
const listener = (s: Input) => s.listeners[0]!;
const policy = (s: Input, i: number) => listener(s).policies[i]!;
const tlsListener = (s: Input) => s.listeners[1] as unknown as { tls: { certificates: { sniHosts: string[] }[] }; policies: { redirect: Record<string, string> }[] };

const fields: Field[] = [
  { name: 'header rule value', set: (s, v) => ((policy(s, 0).rules[0]!.value = v), s), lineOf: (w) => w[0] === 'acl' && w[1] === 'p1_r1' },
  { name: 'host rule value', set: (s, v) => ((policy(s, 1).rules[0]!.value = v), s), lineOf: (w) => w[0] === 'acl' && w[1] === 'p2_r1' },
  { name: 'path rule value', set: (s, v) => ((policy(s, 2).rules[0]!.value = v), s), lineOf: (w) => w[0] === 'acl' && w[1] === 'p3_r1' },
  { name: 'header name', set: (s, v) => (((policy(s, 0).rules[0] as { headerName?: string }).headerName = v), s) },
  {
    name: 'redirect url',
    set: (s, v) => (((policy(s, 2) as { redirect?: { url: string } }).redirect = { url: v }), s),
    lineOf: (w) => w[0] === 'http-request' && w[1] === 'redirect',
    unwrap: (w) => w.replaceAll('%%', '%'),
  },
  { name: 'health check path', set: (s, v) => ((s.pools[0]!.healthMonitor.http.path = v), s) },
  { name: 'health check host', set: (s, v) => ((s.pools[0]!.healthMonitor.http.host = v), s) },
  { name: 'cookie name', set: (s, v) => ((s.pools[0]!.sessionPersistence.cookieName = v), s) },
  { name: 'listener name', set: (s, v) => ((listener(s).name = v), s) },
  { name: 'pool name', set: (s, v) => ((s.pools[0]!.name = v), (listener(s).defaultPool = v), s) },
  { name: 'member address', set: (s, v) => ((s.pools[0]!.members[0]!.address = v), s) },
  { name: 'allowed CIDR', set: (s, v) => (((listener(s) as { allowedCIDRs?: string[] }).allowedCIDRs = [v]), s) },
  { name: 'client timeout', set: (s, v) => (((listener(s) as { timeouts?: { client: string } }).timeouts = { client: v }), s) },
  // SNI names go to the crt-list file beside haproxy.cfg, which is checked for added lines too.
  { name: 'SNI host', set: (s, v) => ((tlsListener(s).tls.certificates[0]!.sniHosts = [v]), s) },
  { name: 'redirect prefix', set: (s, v) => ((tlsListener(s).policies[0]!.redirect = { prefix: v }), s), unwrap: (w) => w.replaceAll('%%', '%') },
];

const lineCounts = (cfg: RenderedConfig) => Object.fromEntries(Object.entries(cfg.files).map(([name, text]) => [name, text.split('\n').length]));
let baseline: Record<string, number> | undefined;

test('hostile strings are refused by validation or reach haproxy.cfg as one faithful word (property)', async () => {
  let refused = 0;
  let rendered = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...fields), hostileString, async (field, value) => {
      const input = field.set(clone(base), value);
      if (validateLoadBalancerSpec(input).length > 0) {
        refused++;
        return;
      }
      let cfg: RenderedConfig;
      try {
        cfg = render(loadBalancerSpecSchema.parse(input));
      } catch (err) {
        assert.ok(err instanceof RenderError, String(err));
        refused++;
        return;
      }
      rendered++;
      const text = cfg.files['haproxy.cfg'] ?? '';
      baseline ??= lineCounts(render(loadBalancerSpecSchema.parse(base)));
      assert.deepEqual(lineCounts(cfg), baseline, `the value added or removed lines:\n${Object.values(cfg.files).join('\n---\n')}`);
      await haproxyAccepts(cfg);
      if (field.lineOf) {
        const line = text.split('\n').map((l) => haproxyWords(l.trim())).find((w) => w !== undefined && field.lineOf!(w));
        assert.ok(line, `no ${field.name} line, or it does not tokenize as HAProxy would read it:\n${text}`);
        const unwrap = field.unwrap ?? ((w: string) => w);
        assert.ok(line.some((w) => unwrap(w) === value), `${field.name} ${JSON.stringify(value)} does not read back from ${JSON.stringify(line)}`);
      }
    }),
    { numRuns: 150 },
  );
  // Both outcomes occur: some hostile strings are legitimate values (spaces and '#' in a header).
  assert.ok(refused > 0 && rendered > 0, `refused ${refused}, rendered ${rendered}`);
});

test('any printable value of a header rule, the freest field, reads back exactly after haproxy -c (property)', async () => {
  const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 });
  const field = fields[0]!;
  await fc.assert(
    fc.asyncProperty(printable, async (value) => {
      const input = field.set(clone(base), value);
      if (value.includes('"') || value.includes('\\')) {
        assert.ok(validateLoadBalancerSpec(input).length > 0, 'quotes and backslashes are refused in header values');
        return;
      }
      const cfg = render(loadBalancerSpecSchema.parse(input));
      await haproxyAccepts(cfg);
      const words = cfg.files['haproxy.cfg']!.split('\n').map((l) => haproxyWords(l.trim())).find((w) => w !== undefined && field.lineOf!(w));
      assert.equal(words?.at(-1), value);
      assert.equal(words?.at(-2), '--');
    }),
    { numRuns: 80 },
  );
});

/** `haproxy -c` with exactly the given environment (plus PATH), as the agent runs it in a pod. */
function checkWithEnvironment(cfg: RenderedConfig, env: Record<string, string>): Promise<{ ok: boolean; output: string }> {
  return (async () => {
    const d = join(dir, `c${n++}`);
    await mkdir(d);
    for (const [name, content] of Object.entries(cfg.files)) await writeFile(join(d, name), content);
    const result = await new Promise<{ ok: boolean; output: string }>((resolve) => {
      execFile('haproxy', ['-c', '-f', join(d, 'haproxy.cfg')], { env: { PATH: process.env['PATH'] ?? '', ...env } }, (err, stdout, stderr) => resolve({ ok: err === null, output: `${stdout}${stderr}` }));
    });
    await rm(d, { recursive: true, force: true });
    return result;
  })();
}

function refusesConnection(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    sock.on('connect', () => {
      sock.destroy();
      resolve(false);
    });
    sock.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

test('pod stats bind "${POD_IP}:port": accepted with POD_IP set, refused without it, and bound to that address only', async () => {
  const podIp = randomLoopback();
  const [listenPort, statsPort] = [await freePort(podIp), await freePort(podIp)];
  const cfg = renderHaproxyConfig(
    renderInput(httpSpec(listenPort, [{ address: '127.0.0.1', port: 9 }]), {
      bindAddresses: [podIp],
      // Small maxconn: a test host's open-file limit is lower than a pod's.
      classSpec: { ...builtinClassSpec, sizes: { small: { cpu: '1', memory: '64Mi', maxConnections: 2000 } } },
      runtime: { adminSocket: join(dir, 'pod-admin.sock'), statsAddress: { environment: 'POD_IP' }, statsPort },
    }),
  );
  assert.deepEqual(await checkWithEnvironment(cfg, { POD_IP: podIp }), { ok: true, output: 'Configuration file is valid\n' });
  assert.equal((await checkWithEnvironment(cfg, { POD_IP: 'fd00::5' })).ok, true, 'an IPv6 pod IP is a valid bind address too');
  for (const env of [{}, { POD_IP: '' }] as Record<string, string>[]) {
    const r = await checkWithEnvironment(cfg, env);
    assert.equal(r.ok, false, `accepted with ${JSON.stringify(env)}`);
    assert.match(r.output, /POD_IP is empty or not set; the stats frontend would bind every address of the pod/);
  }
  // A value cannot smuggle in bind options: the expansion stays one word, and HAProxy refuses it.
  assert.equal((await checkWithEnvironment(cfg, { POD_IP: `${podIp} ssl crt /etc/passwd` })).ok, false);

  const d = join(dir, 'pod-stats');
  await mkdir(d);
  for (const [name, content] of Object.entries(cfg.files)) await writeFile(join(d, name), content);
  const saved = process.env['POD_IP'];
  process.env['POD_IP'] = podIp;
  const haproxy = await startHaproxy(join(d, 'haproxy.cfg'), { masterSocket: join(d, 'master.sock') }).finally(() => {
    if (saved === undefined) delete process.env['POD_IP'];
    else process.env['POD_IP'] = saved;
  });
  try {
    const metrics = await waitFor('stats on the pod IP', async () => {
      const r = await get(`http://${podIp}:${statsPort}/metrics`);
      return r.status === 200 ? r.body : undefined;
    });
    assert.match(metrics, /haproxy_process_/);
    // 0.0.0.0 would answer on every local address; another loopback address stands in for the public net1.
    let other = randomLoopback();
    while (other === podIp) other = randomLoopback();
    assert.equal(await refusesConnection(other, statsPort), true, `stats answer on ${other}:${statsPort}, not only on the pod IP`);
  } finally {
    await haproxy.stop();
  }
});
