// What a user of the LB observes, through a real HAProxy: ordered L7 policies, literal matching
// of awkward values, allow-lists, cookie persistence, PROXY protocol v2 and health checks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startBackend, type Backend } from './support/backends.js';
import { get, waitFor } from './support/http.js';
import { freePort, startTestLb, type TestLb } from './support/lb.js';
import { startProxyV2Member, type ProxyMember } from './support/proxy-member.js';
import { spec } from './support/specs.js';

function tcpExchange(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => s.write('hello\n'));
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
  });
}

describe('L7 policies and pool options through a real HAProxy', () => {
  let lb: TestLb;
  let app: Backend, api: Backend, sick: Backend, sticky1: Backend, sticky2: Backend;
  let proxyMember: ProxyMember;
  let web: string, denied: string, allowed: string, sticky: string, checked: string;
  let tcpPort: number;
  const token = `a b#c $HOME %[src] 'q'`;

  before(async () => {
    [app, api, sick, sticky1, sticky2] = await Promise.all([
      startBackend('app'),
      startBackend('api'),
      startBackend('sick'),
      startBackend('sticky1'),
      startBackend('sticky2'),
    ]);
    proxyMember = await startProxyV2Member();
    lb = await startTestLb();
    const [p1, p2, p3, p4, p5, p6] = await Promise.all(Array.from({ length: 6 }, () => freePort(lb.address)));
    tcpPort = p6!;
    const url = (p: number | undefined) => `http://${lb.address}:${p}`;
    [web, denied, allowed, sticky, checked] = [url(p1), url(p2), url(p3), url(p4), url(p5)];
    const cfg = lb.render(
      spec({
        ipPool: 'loopback',
        listeners: [
          {
            name: 'web',
            port: p1!,
            protocol: 'HTTP',
            defaultPool: 'app',
            policies: [
              { name: 'block', action: 'Reject', rules: [{ type: 'Header', headerName: 'X-Block', value: 'yes' }] },
              { name: 'api', action: 'ForwardToPool', pool: 'api', rules: [{ type: 'Path', match: 'Prefix', value: '/api/' }] },
              { name: 'moved', action: 'Redirect', redirect: { url: 'https://new.example.test/$HOME/100%25', statusCode: 301 }, rules: [{ type: 'Host', value: 'old.example.test' }] },
              { name: 'token', action: 'Reject', rules: [{ type: 'Header', headerName: 'X-Token', value: token }] },
              { name: 'not-api', action: 'ForwardToPool', pool: 'api', rules: [{ type: 'Path', value: '/only-api', invert: false }, { type: 'Header', headerName: 'X-Api', value: 'no', invert: true }] },
            ],
          },
          { name: 'denied', port: p2!, protocol: 'HTTP', defaultPool: 'app', allowedCIDRs: ['10.0.0.0/8', '2001:db8::/32'] },
          { name: 'allowed', port: p3!, protocol: 'HTTP', defaultPool: 'app', allowedCIDRs: ['127.0.0.0/8'] },
          { name: 'sticky', port: p4!, protocol: 'HTTP', defaultPool: 'sticky' },
          { name: 'checked', port: p5!, protocol: 'HTTP', defaultPool: 'checked' },
          { name: 'proxied', port: tcpPort, protocol: 'TCP', defaultPool: 'proxied' },
        ],
        pools: [
          { name: 'app', members: [{ address: app.address, port: app.port }] },
          { name: 'api', members: [{ address: api.address, port: api.port }] },
          {
            name: 'sticky',
            members: [{ address: sticky1.address, port: sticky1.port }, { address: sticky2.address, port: sticky2.port }],
            sessionPersistence: { type: 'HTTPCookie', cookieName: 'LB' },
          },
          {
            name: 'checked',
            members: [{ address: app.address, port: app.port }, { address: sick.address, port: sick.port }],
            healthMonitor: { type: 'HTTP', interval: '100ms', timeout: '100ms', rise: 1, fall: 1, http: { path: '/healthz' } },
          },
          { name: 'proxied', members: [{ address: '127.0.0.1', port: proxyMember.port }], proxyProtocol: 'V2' },
        ],
      }),
    );
    await lb.publish(cfg.files);
    await lb.applied(cfg.hash);
  });

  after(async () => {
    await lb?.close();
    await Promise.all([app, api, sick, sticky1, sticky2].map((b) => b?.close()));
    await proxyMember?.close();
  });

  test('policies apply in order: the first match decides, else the default pool', async () => {
    assert.equal((await get(`${web}/`)).body, 'app');
    assert.equal((await get(`${web}/api/users`)).body, 'api');
    // Both "block" (1st) and "api" (2nd) match: the first wins, though HAProxy evaluates
    // http-request rules before use_backend.
    assert.equal((await get(`${web}/api/users`, { headers: { 'X-Block': 'yes' } })).status, 403);
    assert.equal((await get(`${web}/only-api`)).body, 'api');
    assert.equal((await get(`${web}/only-api`, { headers: { 'X-Api': 'no' } })).body, 'app', 'an inverted rule excludes');
  });

  test('redirects send the literal location: no variable expansion, no sample evaluation', async () => {
    const r = await get(`${web}/`, { headers: { Host: 'old.example.test:80' } });
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://new.example.test/$HOME/100%25');
  });

  test('a header value with spaces, "#", "$", "%[" and quotes matches literally', async () => {
    assert.equal((await get(`${web}/`, { headers: { 'X-Token': token } })).status, 403);
    assert.equal((await get(`${web}/`, { headers: { 'X-Token': 'a b' } })).status, 200);
    assert.equal((await get(`${web}/`, { headers: { 'X-Token': `a b#c ${process.env.HOME ?? ''} 127.0.0.1 'q'` } })).status, 200);
  });

  test('allowed CIDRs: clients outside are refused at connect, inside are served', async () => {
    await assert.rejects(get(`${denied}/`));
    assert.equal((await get(`${allowed}/`)).status, 200);
  });

  test('cookie persistence keeps a client on one member', async () => {
    const first = await get(`${sticky}/`);
    const cookie = String(first.headers['set-cookie'] ?? '').split(';')[0] ?? '';
    assert.match(cookie, /^LB=s\d+$/);
    for (let i = 0; i < 6; i++) assert.equal((await get(`${sticky}/`, { headers: { Cookie: cookie } })).body, first.body);
    const without = new Set<string>();
    for (let i = 0; i < 6; i++) without.add((await get(`${sticky}/`)).body);
    assert.deepEqual([...without].sort(), ['sticky1', 'sticky2'], 'without the cookie, round robin');
  });

  test('health checks take a failing member out of rotation', async () => {
    const both = new Set<string>();
    for (let i = 0; i < 4; i++) both.add((await get(`${checked}/`)).body);
    assert.deepEqual([...both].sort(), ['app', 'sick'], 'both members serve while healthy');
    sick.setHealth(503);
    await waitFor('the sick member to be marked down', async () => {
      const bodies = new Set<string>();
      for (let i = 0; i < 6; i++) bodies.add((await get(`${checked}/`)).body);
      return bodies.size === 1 && bodies.has('app') ? true : undefined;
    });
  });

  test('PROXY protocol v2 tells a TCP member the client address', async () => {
    assert.equal(await tcpExchange(lb.address, tcpPort), 'proxy-v2 from 127.0.0.1\n');
  });
});
