import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderHaproxyConfig, type RenderInput } from '../src/render/haproxy.js';
import { quoted, quotedLogFormat, RenderError, word } from '../src/render/quote.js';
import { assignSlots, homeSlot, slotCount } from '../src/render/slots.js';
import { certificateSecretNames, issuedCertificateSecretName } from '../src/render/certificates.js';
import { configHash } from '../src/render/hash.js';
import { parseConfig } from '../src/agent/servers.js';
import { validSpec } from './support/arbitraries.js';
import { renderInput, spec } from './support/specs.js';

const full = spec({
  ipPool: 'p',
  listeners: [
    {
      name: 'web',
      port: 80,
      protocol: 'HTTP',
      defaultPool: 'app',
      allowedCIDRs: ['192.168.0.0/16', '10.0.0.0/8'],
      connectionLimit: 500,
      timeouts: { client: '30s', httpRequest: '5s' },
      forwardedHeaders: { forwardedPort: true },
      policies: [
        { name: 'api', action: 'ForwardToPool', pool: 'api', rules: [{ type: 'Path', match: 'Prefix', value: '/api/' }, { type: 'Host', value: 'example.com' }] },
        { name: 'moved', action: 'Redirect', redirect: { url: 'https://example.com/new?x=100%25' }, rules: [{ type: 'Path', value: '/old' }] },
        { name: 'bots', action: 'Reject', rules: [{ type: 'Header', headerName: 'User-Agent', match: 'Contains', value: 'BadBot', invert: false }] },
      ],
    },
    { name: 'tls', port: 443, protocol: 'HTTPS', defaultPool: 'app', tls: { certificates: [{ secretRef: { name: 'site' }, sniHosts: ['example.com'] }, { secretRef: { name: 'other' } }] } },
    { name: 'db', port: 5432, protocol: 'TCP', defaultPool: 'db' },
  ],
  pools: [
    {
      name: 'app',
      members: [{ address: '10.0.0.1', port: 8080 }, { address: '10.0.0.2', port: 8080, weight: 3 }, { address: '10.0.0.9', port: 8080, backup: true }],
      healthMonitor: { type: 'HTTP', http: { path: '/healthz', expectedCodes: '200-299' } },
      sessionPersistence: { type: 'HTTPCookie' },
    },
    { name: 'api', serviceRef: { name: 'api', port: 80 }, algorithm: 'LeastConnections' },
    { name: 'db', members: [{ address: '2001:db8::5', port: 5432 }], algorithm: 'SourceIP', proxyProtocol: 'V2', sessionPersistence: { type: 'SourceIP' } },
  ],
});

const fullInput = renderInput(full, {
  endpoints: { api: [{ address: '10.1.0.7', port: 9000 }, { address: '10.1.0.8', port: 9000, weight: 2 }] },
  certificatePaths: { site: '/etc/tugboat/certs/site/tls.pem', other: '/etc/tugboat/certs/other/tls.pem' },
});

function lines(cfg: string): string[] {
  return cfg.split('\n').map((l) => l.trim());
}

test('the rendered configuration has the sections and directives of the spec', () => {
  const { files } = renderHaproxyConfig(fullInput);
  assert.deepEqual(Object.keys(files).sort(), ['haproxy.cfg', 'tls.crtlist']);
  const cfg = lines(files['haproxy.cfg'] ?? '');
  for (const expected of [
    'master-worker',
    'default-path config',
    'stats socket /run/tugboat/haproxy.sock mode 600 level admin expose-fd listeners',
    'hard-stop-after 30000',
    'frontend stats',
    'bind 127.0.0.1:8404',
    'http-request use-service prometheus-exporter if { path /metrics }',
    'frontend ft_web',
    'bind 127.0.0.1:80',
    'maxconn 500',
    'timeout client 30000',
    'timeout http-request 5000',
    'tcp-request connection reject unless { src 10.0.0.0/8 192.168.0.0/16 }',
    'http-request del-header X-Forwarded-For',
    'option forwardfor',
    'http-request set-header X-Forwarded-Proto http',
    'http-request set-header X-Forwarded-Port 80',
    'acl p1_r1 path -m beg -- "/api/"',
    'acl p1_r2 req.hdr(host),host_only -m str -i -- "example.com"',
    'http-request set-var(txn.tugboat_policy) int(1) if !{ var(txn.tugboat_policy) -m found } p1_r1 p1_r2',
    'acl p3_r1 req.fhdr(User-Agent) -m sub -- "BadBot"',
    'http-request redirect location "https://example.com/new?x=100%%25" code 302 if { var(txn.tugboat_policy) -m int 2 }',
    'http-request deny deny_status 403 if { var(txn.tugboat_policy) -m int 3 }',
    'use_backend bk_api if { var(txn.tugboat_policy) -m int 1 }',
    'default_backend bk_app',
    'bind 127.0.0.1:443 ssl crt-list tls.crtlist alpn h2,http/1.1 ssl-min-ver TLSv1.2',
    'frontend ft_db',
    'mode tcp',
    'backend bk_app',
    'option httpchk',
    'http-check send meth GET uri "/healthz" ver HTTP/1.0',
    'http-check expect status 200-299',
    'cookie TBLB insert indirect nocache httponly',
    'default-server check inter 5000 rise 2 fall 3',
    'backend bk_api',
    'balance leastconn',
    'backend bk_db',
    'balance source',
    'hash-type consistent',
    'stick-table type ipv6 size 100k expire 1800000',
    'stick on src',
    'default-server send-proxy-v2',
  ]) {
    assert.ok(cfg.includes(expected), `missing line: ${expected}`);
  }
  assert.equal(files['tls.crtlist'], '/etc/tugboat/certs/site/tls.pem example.com\n/etc/tugboat/certs/other/tls.pem\n');
});

function statsSection(cfg: string): string[] {
  const all = cfg.split('\n');
  const start = all.indexOf('frontend stats');
  const end = all.indexOf('', start);
  return all.slice(start, end < 0 ? undefined : end);
}

test('in pods, stats bind the pod IP from the environment, guarded against an unset variable', () => {
  const { files } = renderHaproxyConfig({ ...fullInput, runtime: { adminSocket: '/run/tugboat/haproxy.sock', statsAddress: { environment: 'POD_IP' }, statsPort: 8404 } });
  assert.deepEqual(statsSection(files['haproxy.cfg'] ?? ''), [
    'frontend stats',
    '    mode http',
    '    .if streq("$POD_IP","")',
    '        .alert "POD_IP is empty or not set; the stats frontend would bind every address of the pod, including the public one"',
    '    .endif',
    '    bind "${POD_IP}:8404"',
    '    http-request use-service prometheus-exporter if { path /metrics }',
    '    stats enable',
    '    stats uri /stats',
    '    stats refresh 10s',
  ]);
  // Host mode and tests keep a literal address.
  assert.equal(statsSection(renderHaproxyConfig(fullInput).files['haproxy.cfg'] ?? '')[2], '    bind 127.0.0.1:8404');
  for (const environment of ['pod_ip', 'POD_IP}"', 'A B', '', '$X']) {
    assert.throws(() => renderHaproxyConfig({ ...fullInput, runtime: { ...fullInput.runtime, statsAddress: { environment } } }), RenderError, environment);
  }
});

test('the stats bind is the only environment expansion: no user string reaches haproxy.cfg with an unescaped $ (property)', () => {
  const podMode = (s: typeof full): RenderInput => {
    const paths = Object.fromEntries(certificateSecretNames('demo', s).map((n) => [n, '/etc/tugboat/certs/x.pem']));
    return renderInput(s, { certificatePaths: paths, runtime: { adminSocket: '/run/tugboat/haproxy.sock', statsAddress: { environment: 'POD_IP' } } });
  };
  let withDollar = 0;
  fc.assert(
    fc.property(validSpec, (s) => {
      if (JSON.stringify(s).includes('$')) withDollar++;
      const { files } = renderHaproxyConfig(podMode(s));
      for (const [name, content] of Object.entries(files)) {
        // A '$' preceded by an odd number of backslashes is escaped; any other one expands.
        const expanding = content.split('\n').filter((l) => /(^|[^\\])(\\\\)*\$/.test(l));
        assert.deepEqual(expanding, name === 'haproxy.cfg' ? ['    .if streq("$POD_IP","")', '    bind "${POD_IP}:8404"'] : [], name);
      }
    }),
    { numRuns: 100 },
  );
  assert.ok(withDollar > 0, 'the generator produced no spec with a $ in it');
});

test('members fill stable slots; the rest wait in maintenance', () => {
  const parsed = parseConfig(renderHaproxyConfig(fullInput).files['haproxy.cfg'] ?? '');
  const app = [...parsed.servers.values()].filter((s) => s.backend === 'bk_app');
  assert.equal(app.filter((s) => s.name.startsWith('s')).length, 8);
  assert.equal(app.filter((s) => s.name.startsWith('b')).length, 4);
  const used = app.filter((s) => !s.disabled).map((s) => `${s.address}:${s.port}/${s.weight}`).sort();
  assert.deepEqual(used, ['10.0.0.1:8080/1', '10.0.0.2:8080/3', '10.0.0.9:8080/1']);
  const api = [...parsed.servers.values()].filter((s) => s.backend === 'bk_api' && !s.disabled).map((s) => `${s.address}:${s.port}/${s.weight}`).sort();
  assert.deepEqual(api, ['10.1.0.7:9000/1', '10.1.0.8:9000/2']);
  const db = [...parsed.servers.values()].filter((s) => s.backend === 'bk_db' && !s.disabled);
  assert.deepEqual(db.map((s) => s.address), ['2001:db8::5']);
  assert.match(renderHaproxyConfig(fullInput).files['haproxy.cfg'] ?? '', /server s\d+ ipv6@2001:db8::5:5432 weight 1\n/);
});

test('rendering is deterministic and ignores the order of listeners, pools, members and CIDRs', () => {
  const a = renderHaproxyConfig(fullInput);
  const b = renderHaproxyConfig(fullInput);
  assert.equal(a.hash, b.hash);
  assert.equal(a.hash, configHash(a.files));
  const shuffled: RenderInput = {
    ...fullInput,
    spec: {
      ...full,
      listeners: [...full.listeners].reverse().map((l) => ({ ...l, allowedCIDRs: l.allowedCIDRs ? [...l.allowedCIDRs].reverse() : undefined })),
      pools: [...full.pools].reverse().map((p) => ({ ...p, members: p.members ? [...p.members].reverse() : undefined })),
    },
    endpoints: { api: [...(fullInput.endpoints?.api ?? [])].reverse() },
  };
  assert.equal(renderHaproxyConfig(shuffled).hash, a.hash);
});

test('a member change only touches server lines', () => {
  const before = renderHaproxyConfig(fullInput).files['haproxy.cfg'] ?? '';
  const changed = { ...full, pools: full.pools.map((p) => (p.name === 'app' ? { ...p, members: [...(p.members ?? []), { address: '10.0.0.3', port: 8080, weight: 1, backup: false }] } : p)) };
  const after = renderHaproxyConfig({ ...fullInput, spec: changed }).files['haproxy.cfg'] ?? '';
  assert.notEqual(before, after);
  assert.equal(parseConfig(before).skeleton, parseConfig(after).skeleton);
});

test('slots: a member in its home slot keeps it when another member leaves (property)', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 250 }), { minLength: 2, maxLength: 16 }), fc.nat(), (octets, pick) => {
      const members = octets.map((o) => ({ address: `10.0.0.${o}`, port: 80, weight: 1 }));
      const n = slotCount(members.length);
      const before = assignSlots(members, n, 's');
      const removed = members[pick % members.length];
      const after = assignSlots(members.filter((m) => m !== removed), n, 's');
      const index = (slots: typeof before, address: string) => slots.findIndex((s) => s.member?.address === address);
      for (const m of members) {
        if (m === removed) continue;
        const was = index(before, m.address);
        const now = index(after, m.address);
        if (was === homeSlot(m, n)) assert.equal(now, was, `${m.address} left its home slot`);
        // A displaced member can only move back towards its home slot.
        const distance = (i: number) => (i - homeSlot(m, n) + n) % n;
        assert.ok(distance(now) <= distance(was), `${m.address} moved away from home`);
      }
    }),
    { numRuns: 500 },
  );
  assert.equal(slotCount(0), 8);
  assert.equal(slotCount(9), 16);
  assert.equal(slotCount(3, 20), 20);
});

test('quoting: free text is double-quoted with \\, " and $ escaped; log-format doubles %', () => {
  assert.equal(quoted('a b#c', 'x'), '"a b#c"');
  assert.equal(quoted('a"b\\c$HOME', 'x'), '"a\\"b\\\\c\\$HOME"');
  assert.equal(quotedLogFormat('100%[src]', 'x'), '"100%%[src]"');
  assert.throws(() => quoted('a\nb', 'x'), RenderError);
  assert.throws(() => quoted('é', 'x'), RenderError);
  assert.throws(() => word('a b', /^.*$/, 'x'), RenderError);
  assert.throws(() => word('a#b', /^.*$/, 'x'), RenderError);
  assert.equal(word('web-1', /^[a-z0-9-]+$/, 'x'), 'web-1');
});

test('the renderer refuses invalid input and says what is wrong', () => {
  assert.throws(
    () => renderHaproxyConfig({ ...fullInput, certificatePaths: { site: '/etc/tugboat/certs/site/tls.pem' } }),
    (err: unknown) => err instanceof RenderError && /no certificate path for Secret "other"/.test(err.message),
  );
  assert.throws(
    () => renderHaproxyConfig({ ...fullInput, certificatePaths: { site: '/etc/x y.pem', other: '/etc/o.pem' } }),
    (err: unknown) => err instanceof RenderError && /certificate path/.test(err.message),
  );
  const bad = { ...full, listeners: full.listeners.map((l) => ({ ...l, port: 80 })) };
  assert.throws(() => renderHaproxyConfig({ ...fullInput, spec: bad }), (err: unknown) => err instanceof RenderError && /port 80 is used by 3 listeners/.test(err.message));
  assert.throws(() => renderHaproxyConfig({ ...fullInput, bindAddresses: [] }), RenderError);
  assert.throws(() => renderHaproxyConfig({ ...fullInput, runtime: { ...fullInput.runtime, adminSocket: '/run/a b.sock' } }), RenderError);
  assert.throws(() => renderHaproxyConfig({ ...fullInput, endpoints: { api: [{ address: '10.0.0.1\nglobal', port: 1 }] } }), RenderError);
});

test('certificate Secrets: issued ones get a derived name, all are listed once', () => {
  assert.equal(issuedCertificateSecretName('shop', 'https'), 'shop-https-tls');
  const long = issuedCertificateSecretName('a'.repeat(200), 'b'.repeat(60));
  assert.ok(long.length <= 253);
  assert.notEqual(long, issuedCertificateSecretName('a'.repeat(200), `${'b'.repeat(59)}c`));
  const s = spec({
    ipPool: 'p',
    listeners: [
      { name: 'a', port: 1, protocol: 'HTTPS', defaultPool: 'x', tls: { issuer: { name: 'le', kind: 'ClusterIssuer', hostnames: ['shop.example.com'] } } },
      { name: 'b', port: 2, protocol: 'HTTPS', defaultPool: 'x', tls: { certificates: [{ secretRef: { name: 'z' } }, { secretRef: { name: 'shop-a-tls' } }] } },
    ],
    pools: [{ name: 'x', members: [] }],
  });
  assert.deepEqual(certificateSecretNames('shop', s), ['shop-a-tls', 'z']);
});
