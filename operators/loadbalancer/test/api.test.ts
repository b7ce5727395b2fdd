import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBalancerSpecSchema, LoadBalancer } from '../src/api/loadbalancer.js';
import { IPPool } from '../src/api/ippool.js';
import { LoadBalancerClass, builtinClassSpec } from '../src/api/loadbalancerclass.js';
import { validateIPPoolSpec, validateLoadBalancerSpec } from '../src/api/validate.js';
import { durationMs } from '../src/api/formats.js';

const base = {
  ipPool: 'public',
  listeners: [{ name: 'web', port: 80, protocol: 'HTTP', defaultPool: 'app' }],
  pools: [{ name: 'app', members: [{ address: '10.0.0.1', port: 8080 }] }],
};

function withListener(patch: Record<string, unknown>) {
  return { ...base, listeners: [{ ...base.listeners[0], ...patch }] };
}

function messages(input: unknown, secrets?: string[]): string[] {
  return validateLoadBalancerSpec(input, secrets ? { secretNames: new Set(secrets) } : {}).map((e) => `${e.path}: ${e.message}`);
}

test('defaults are filled in by the schema', () => {
  const spec = loadBalancerSpecSchema.parse(base);
  assert.equal(spec.className, 'default');
  assert.equal(spec.replicas, 2);
  assert.equal(spec.size, 'small');
  assert.equal(spec.pools[0]?.algorithm, 'RoundRobin');
  assert.equal(spec.pools[0]?.proxyProtocol, 'None');
  assert.deepEqual(spec.pools[0]?.members?.[0], { address: '10.0.0.1', port: 8080, weight: 1, backup: false });
  assert.deepEqual(builtinClassSpec.rollout, { maxUpdating: '5%', maxUnavailable: '1', batchPause: '30s', maxFailurePercent: 5, progressDeadline: '10m' });
  assert.equal(builtinClassSpec.global.hardStopAfter, '30s');
});

test('a valid spec has no errors', () => {
  assert.deepEqual(messages(base), []);
});

test('duplicate listener ports are refused with the field path and the fix', () => {
  const spec = { ...base, listeners: [base.listeners[0], { name: 'web2', port: 80, protocol: 'HTTP', defaultPool: 'app' }] };
  assert.deepEqual(messages(spec), ['spec.listeners[1].port: port 80 is used by 2 listeners; each listener needs its own port']);
});

test('references to pools that do not exist name the pools that do', () => {
  assert.deepEqual(messages(withListener({ defaultPool: 'nope' })), [
    'spec.listeners[0].defaultPool: pool "nope" does not exist; add it to spec.pools or name one of: app',
  ]);
  const policy = { name: 'api', action: 'ForwardToPool', pool: 'ghost', rules: [{ type: 'Path', match: 'Prefix', value: '/api' }] };
  assert.deepEqual(messages(withListener({ policies: [policy] })), [
    'spec.listeners[0].policies[0].pool: pool "ghost" does not exist; add it to spec.pools or name one of: app',
  ]);
});

test('HTTPS needs a certificate, and referenced Secrets must exist when the webhook knows them', () => {
  assert.match(messages(withListener({ protocol: 'HTTPS' }))[0] ?? '', /^spec\.listeners\[0\]\.tls: an HTTPS listener needs exactly one of tls\.certificates/);
  const tls = { certificates: [{ secretRef: { name: 'site-tls' } }] };
  assert.deepEqual(messages(withListener({ protocol: 'HTTPS', tls })), []);
  assert.deepEqual(messages(withListener({ protocol: 'HTTPS', tls }), ['other']), [
    'spec.listeners[0].tls.certificates[0].secretRef.name: Secret "site-tls" does not exist in this namespace; create it (kubectl create secret tls site-tls --cert=… --key=…) or fix the name',
  ]);
  assert.deepEqual(messages(withListener({ protocol: 'HTTPS', tls }), ['site-tls']), []);
  assert.match(messages(withListener({ tls }))[0] ?? '', /tls is only used by HTTPS listeners/);
});

test('CIDRs must be networks in canonical form', () => {
  assert.deepEqual(messages(withListener({ allowedCIDRs: ['10.0.0.0/8', '2001:db8::/32'] })), []);
  assert.deepEqual(messages(withListener({ allowedCIDRs: ['10.0.0.1/8'] })), [
    'spec.listeners[0].allowedCIDRs[0]: "10.0.0.1/8" is not a CIDR with zero host bits in canonical form; write a network such as 10.0.0.0/8 or 2001:db8::/32',
  ]);
  assert.equal(messages(withListener({ allowedCIDRs: ['10.0.0.0/33'] })).length, 1);
  assert.equal(messages(withListener({ allowedCIDRs: ['2001:DB8::/32'] })).length, 1);
});

test('a pool used by TCP and HTTP listeners is refused; cookie persistence needs HTTP', () => {
  const spec = { ...base, listeners: [base.listeners[0], { name: 'raw', port: 81, protocol: 'TCP', defaultPool: 'app' }] };
  assert.deepEqual(messages(spec), ['spec.pools[0]: pool "app" is used by TCP listener raw and HTTP listener web; a pool speaks one protocol, so give each its own pool']);
  const tcp = { ...base, listeners: [{ name: 'raw', port: 81, protocol: 'TCP', defaultPool: 'app' }], pools: [{ ...base.pools[0], sessionPersistence: { type: 'HTTPCookie' } }] };
  assert.deepEqual(messages(tcp), ['spec.pools[0].sessionPersistence.type: cookie persistence needs HTTP, but pool "app" serves TCP listener raw; use SourceIP']);
});

test('cross-field rules of policies, health monitors and persistence', () => {
  const redirectTwo = { name: 'r', action: 'Redirect', redirect: { url: 'https://a.example/', scheme: 'https' }, rules: [{ type: 'Path', value: '/' }] };
  assert.deepEqual(messages(withListener({ policies: [redirectTwo] })), ['spec.listeners[0].policies[0].redirect: set exactly one of redirect.url, redirect.prefix or redirect.scheme']);
  const header = { name: 'h', action: 'Reject', rules: [{ type: 'Header', value: 'x' }] };
  assert.deepEqual(messages(withListener({ policies: [header] })), ['spec.listeners[0].policies[0].rules[0].headerName: a Header rule needs headerName']);
  const hm = { ...base, pools: [{ ...base.pools[0], healthMonitor: { interval: '1s', timeout: '2s' } }] };
  assert.deepEqual(messages(hm), ['spec.pools[0].healthMonitor.timeout: timeout 2s exceeds interval 1s; lower the timeout or raise the interval']);
  const app = { ...base, pools: [{ ...base.pools[0], sessionPersistence: { type: 'AppCookie' } }] };
  assert.deepEqual(messages(app), ['spec.pools[0].sessionPersistence.cookieName: AppCookie persistence follows a cookie your application sets: name it in cookieName']);
  const both = { ...base, pools: [{ ...base.pools[0], serviceRef: { name: 'svc', port: 80 } }] };
  assert.deepEqual(messages(both), ["spec.pools[0]: set exactly one of members (static addresses) or serviceRef (a Service's endpoints)"]);
  const dup = { ...base, pools: [{ name: 'app', members: [{ address: '10.0.0.1', port: 1 }, { address: '10.0.0.1', port: 1 }] }] };
  assert.deepEqual(messages(dup), ['spec.pools[0].members[1]: member 10.0.0.1:1 is listed 2 times; list each address and port once']);
});

test('hostile strings are refused by the schema wherever they could reach haproxy.cfg', () => {
  const hostile = ['a\nb', 'a"b', 'a\\b', 'a\rb', 'a\u0000b', 'é', 'a\tb'];
  for (const h of hostile) {
    const rule = { name: 'p', action: 'Reject', rules: [{ type: 'Header', headerName: 'X-A', value: h }] };
    assert.ok(messages(withListener({ policies: [rule] })).length > 0, `header value ${JSON.stringify(h)}`);
  }
  const everywhere = ['a b', 'a#b', 'a"b', "a'b", 'a\\b', 'a\nb', '%[src]', '$HOME'];
  for (const h of everywhere) {
    assert.ok(messages(withListener({ name: h })).length > 0, `listener name ${JSON.stringify(h)}`);
    assert.ok(messages({ ...base, pools: [{ ...base.pools[0], name: h }], listeners: [{ ...base.listeners[0], defaultPool: h }] }).length > 0, `pool name ${JSON.stringify(h)}`);
    const hostRule = { name: 'p', action: 'Reject', rules: [{ type: 'Host', value: h }] };
    assert.ok(messages(withListener({ policies: [hostRule] })).length > 0, `host ${JSON.stringify(h)}`);
    const hdr = { name: 'p', action: 'Reject', rules: [{ type: 'Header', headerName: h, value: 'x' }] };
    assert.ok(messages(withListener({ policies: [hdr] })).length > 0, `header name ${JSON.stringify(h)}`);
    const cookie = { ...base, pools: [{ ...base.pools[0], sessionPersistence: { type: 'HTTPCookie', cookieName: h } }] };
    assert.ok(messages(cookie).length > 0, `cookie ${JSON.stringify(h)}`);
    const redirect = { name: 'p', action: 'Redirect', redirect: { url: `https://a.example/${h}` }, rules: [{ type: 'Path', value: '/' }] };
    if (!['$HOME', "a'b"].includes(h)) assert.ok(messages(withListener({ policies: [redirect] })).length > 0, `redirect ${JSON.stringify(h)}`);
  }
  // Names and hosts are lower-case DNS names: upper case is refused too.
  assert.ok(messages(withListener({ name: 'Web' })).length > 0);
  assert.ok(messages(withListener({ policies: [{ name: 'p', action: 'Reject', rules: [{ type: 'Host', value: 'Example.com' }] }] })).length > 0);
  for (const p of ['/a b', '/a#b', '/a"b', '/a\\b', '/a\nb', '/a?b', '/%[src]', 'relative']) {
    const hm = { ...base, pools: [{ ...base.pools[0], healthMonitor: { type: 'HTTP', http: { path: p } } }] };
    assert.ok(messages(hm).length > 0, `health path ${JSON.stringify(p)}`);
  }
});

test('durations are parsed to milliseconds and bounded', () => {
  assert.equal(durationMs('1m30s'), 90_000);
  assert.equal(durationMs('250ms'), 250);
  assert.equal(durationMs('2h'), 7_200_000);
  assert.equal(durationMs('1.5s'), undefined);
  assert.equal(durationMs('-1s'), undefined);
  assert.deepEqual(messages(withListener({ timeouts: { client: '25h' } })), ['spec.listeners[0].timeouts.client: "25h" is not a duration between 1ms and 24h; write it as 500ms, 30s, 5m or 1h30m']);
});

test('IPPool specs: blocks and exclusions are checked, an empty pool is refused', () => {
  assert.deepEqual(validateIPPoolSpec({ addresses: ['127.0.10.0/24'] }), []);
  assert.deepEqual(validateIPPoolSpec({ addresses: ['127.0.10.1/24'] }), [
    { path: 'spec.addresses[0]', message: '"127.0.10.1/24" is not a CIDR with zero host bits (10.0.0.0/24) or a range (10.0.0.10-10.0.0.20)' },
  ]);
  assert.deepEqual(validateIPPoolSpec({ addresses: ['10.0.0.1-10.0.0.2'], exclude: ['10.0.0.0/30'] }), [
    { path: 'spec.addresses', message: 'after exclusions the pool has no usable address; widen spec.addresses or shrink spec.exclude' },
  ]);
});

test('the three kinds produce CRDs with CEL rules, list maps and printer columns', () => {
  const lb = LoadBalancer.crd();
  assert.equal(lb.metadata.name, 'loadbalancers.lb.tugboat.dev');
  assert.deepEqual(lb.spec.names.shortNames, ['lb']);
  const json = JSON.stringify(lb);
  assert.match(json, /isCIDR\(self\)/);
  assert.match(json, /"x-kubernetes-list-map-keys":\["address","port"\]/);
  const columns = lb.spec.versions[0]?.additionalPrinterColumns ?? [];
  assert.deepEqual(columns.map((c) => c.name), ['Addresses', 'Ready', 'Status', 'Age', 'Class', 'Class-Gen', 'Settled-Gen']);
  assert.deepEqual(columns.filter((c) => c.priority === 1).map((c) => c.name), ['Class', 'Class-Gen', 'Settled-Gen'], 'the rollout columns only with -o wide');
  assert.equal(IPPool.crd().spec.scope, 'Cluster');
  assert.equal(LoadBalancerClass.crd().spec.scope, 'Cluster');
  const ok = LoadBalancer.validate({ apiVersion: 'lb.tugboat.dev/v1alpha1', kind: 'LoadBalancer', metadata: { name: 'a', namespace: 'b' }, spec: base });
  assert.ok(ok.ok);
});
