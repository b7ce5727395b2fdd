// fast-check generators of valid LoadBalancer specs: every protocol, pool option, health check,
// persistence type and L7 policy, with strings drawn from the full charset the API allows
// (spaces, '#', '$', '%', quotes where allowed), so the renderer's quoting is exercised.
import fc from 'fast-check';
import { loadBalancerSpecSchema, type LoadBalancerSpec, type LoadBalancerSpecInput } from '../../src/api/loadbalancer.js';
import { canonicalIp, parseIp } from '../../src/ipam/address.js';
import { formatCidr } from '../../src/ipam/range.js';

const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?$/);
const hostname = fc.array(label, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
const sniHost = fc.tuple(fc.boolean(), hostname).map(([wild, h]) => (wild ? `*.${h}` : h));
const pathValue = fc.stringMatching(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,20}$/);
const headerValue = fc.stringMatching(/^[\x20\x21\x23-\x5b\x5d-\x7e]{1,24}$/);
const headerName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,15}$/);
const duration = fc.tuple(fc.integer({ min: 1, max: 900 }), fc.constantFrom('ms', 's', 'm')).map(([n, u]) => `${n}${u}`);
const address = fc.oneof(fc.ipV4(), fc.ipV6()).map((a) => canonicalIp(a) ?? '127.0.0.1');
const cidr = fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.nat()).map(([a, n]) => {
  const ip = parseIp(a) ?? { family: 4 as const, value: 0n };
  const bits = ip.family === 4 ? 32 : 128;
  const prefix = n % (bits + 1);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  return formatCidr({ family: ip.family, network: ip.value & ~hostMask, prefix });
});
const expectedCodes = fc
  .array(fc.tuple(fc.integer({ min: 100, max: 599 }), fc.integer({ min: 0, max: 50 })), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.map(([lo, span]) => (span === 0 || lo + span > 599 ? `${lo}` : `${lo}-${lo + span}`)).join(','));

const members = fc.uniqueArray(
  fc.record({ address, port: fc.integer({ min: 1, max: 65535 }), weight: fc.integer({ min: 0, max: 256 }), backup: fc.boolean() }),
  { maxLength: 12, selector: (m) => `${m.address}:${m.port}` },
);

const healthMonitor = fc.option(
  fc.oneof(
    fc.record({ type: fc.constant('TCP' as const), interval: fc.constant('10s'), timeout: fc.integer({ min: 1, max: 10_000 }).map((ms) => `${ms}ms`) }),
    fc.record({
      type: fc.constantFrom('HTTP' as const, 'HTTPS' as const),
      rise: fc.integer({ min: 1, max: 10 }),
      fall: fc.integer({ min: 1, max: 10 }),
      http: fc.record({ method: fc.constantFrom('GET' as const, 'HEAD' as const, 'OPTIONS' as const), path: pathValue, expectedCodes, host: fc.option(hostname, { nil: undefined }) }),
    }),
  ),
  { nil: undefined },
);

function pool(name: string, http: boolean) {
  const persistence = http
    ? fc.option(
        fc.oneof(
          fc.record({ type: fc.constant('SourceIP' as const) }),
          fc.record({ type: fc.constant('HTTPCookie' as const), cookieName: fc.option(fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/), { nil: undefined }) }),
          fc.record({ type: fc.constant('AppCookie' as const), cookieName: fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/), timeout: duration }),
        ),
        { nil: undefined },
      )
    : fc.option(fc.record({ type: fc.constant('SourceIP' as const), timeout: duration }), { nil: undefined });
  return fc.record({
    name: fc.constant(name),
    algorithm: fc.constantFrom('RoundRobin' as const, 'LeastConnections' as const, 'SourceIP' as const),
    proxyProtocol: fc.constantFrom('None' as const, 'V1' as const, 'V2' as const),
    sessionPersistence: persistence,
    members,
    healthMonitor,
    timeouts: fc.option(fc.record({ connect: duration, server: duration }), { nil: undefined }),
    serverSlots: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
  });
}

function rule() {
  return fc.oneof(
    fc.record({ type: fc.constant('Host' as const), match: fc.constant('Exact' as const), value: hostname, invert: fc.boolean() }),
    fc.record({ type: fc.constant('Host' as const), match: fc.constantFrom('Prefix' as const, 'Suffix' as const, 'Contains' as const), value: fc.stringMatching(/^[a-z0-9.*-]{1,20}$/), invert: fc.boolean() }),
    fc.record({ type: fc.constant('Path' as const), match: fc.constantFrom('Exact' as const, 'Prefix' as const, 'Suffix' as const, 'Contains' as const), value: pathValue, invert: fc.boolean() }),
    fc.record({ type: fc.constant('Header' as const), match: fc.constantFrom('Exact' as const, 'Prefix' as const, 'Suffix' as const, 'Contains' as const), headerName, value: headerValue, invert: fc.boolean() }),
  );
}

const redirectUrl = fc
  .tuple(fc.constantFrom('http', 'https'), hostname, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.stringMatching(/^(\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,20})?$/))
  .map(([s, h, p, path]) => `${s}://${h}${p === undefined ? '' : `:${p}`}${path}`);

function policy(pools: string[]) {
  return fc.oneof(
    fc.record({ action: fc.constant('ForwardToPool' as const), pool: fc.constantFrom(...pools), rules: fc.array(rule(), { minLength: 1, maxLength: 3 }) }),
    fc.record({
      action: fc.constant('Redirect' as const),
      redirect: fc.oneof(
        fc.record({ url: redirectUrl, statusCode: fc.constantFrom(301 as const, 302 as const, 303 as const, 307 as const, 308 as const) }),
        fc.record({ prefix: redirectUrl }),
        fc.record({ scheme: fc.constantFrom('http' as const, 'https' as const) }),
      ),
      rules: fc.array(rule(), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ action: fc.constant('Reject' as const), rules: fc.array(rule(), { minLength: 1, maxLength: 3 }) }),
  );
}

/** A valid spec. HTTP(S) listeners use h-pools, TCP listeners t-pools, so no pool mixes modes. */
export const validSpec: fc.Arbitrary<LoadBalancerSpec> = fc
  .record({ httpPools: fc.integer({ min: 1, max: 2 }), tcpPools: fc.integer({ min: 1, max: 2 }), listeners: fc.integer({ min: 1, max: 4 }) })
  .chain(({ httpPools, tcpPools, listeners }) => {
    const hp = Array.from({ length: httpPools }, (_, i) => `h${i}`);
    const tp = Array.from({ length: tcpPools }, (_, i) => `t${i}`);
    const listener = (i: number) =>
      fc.constantFrom('TCP' as const, 'HTTP' as const, 'HTTPS' as const).chain((protocol) =>
        fc.record({
          name: fc.constant(`l${i}`),
          port: fc.constant(20000 + i),
          protocol: fc.constant(protocol),
          defaultPool: protocol === 'TCP' ? fc.constantFrom(...tp) : fc.option(fc.constantFrom(...hp), { nil: undefined }),
          connectionLimit: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined }),
          allowedCIDRs: fc.option(fc.array(cidr, { maxLength: 4 }), { nil: undefined }),
          timeouts: fc.option(protocol === 'TCP' ? fc.record({ client: duration }) : fc.record({ client: duration, httpRequest: duration, httpKeepAlive: duration }), { nil: undefined }),
          forwardedHeaders: protocol === 'TCP' ? fc.constant(undefined) : fc.option(fc.record({ forwardedFor: fc.boolean(), forwardedProto: fc.boolean(), forwardedPort: fc.boolean() }), { nil: undefined }),
          tls:
            protocol === 'HTTPS'
              ? fc.oneof(
                  fc.record({
                    certificates: fc.array(fc.record({ secretRef: fc.record({ name: fc.constantFrom('cert-a', 'cert-b') }), sniHosts: fc.option(fc.array(sniHost, { maxLength: 3 }), { nil: undefined }) }), { minLength: 1, maxLength: 2 }),
                    minVersion: fc.constantFrom('TLSv1.2' as const, 'TLSv1.3' as const),
                  }),
                  fc.record({ issuer: fc.record({ name: fc.constant('letsencrypt'), hostnames: fc.array(hostname, { minLength: 1, maxLength: 2 }) }) }),
                )
              : fc.constant(undefined),
          policies: protocol === 'TCP' ? fc.constant(undefined) : fc.array(policy(hp), { maxLength: 4 }).map((ps) => ps.map((p, k) => ({ name: `p${k}`, ...p }))),
        }),
      );
    return fc.record({
      listeners: fc.tuple(...Array.from({ length: listeners }, (_, i) => listener(i))),
      pools: fc.tuple(...hp.map((n) => pool(n, true)), ...tp.map((n) => pool(n, false))),
    });
  })
  .map(({ listeners, pools }) => loadBalancerSpecSchema.parse(stripUndefined({ ipPool: 'p', listeners, pools }) as LoadBalancerSpecInput));

function stripUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripUndefined);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, stripUndefined(x)]));
  return v;
}

/** Strings a user might send to break out of a haproxy.cfg word. */
export const hostileString = fc.oneof(
  fc.constantFrom('a\nglobal', 'x" y', 'x # y', 'a b', 'back\\slash', '%[src]', '$HOME', '${HOME}', "it's", '\r\n', 'tab\there', '-i', '-f /etc/passwd', '{ x }', 'a)b', 'a,b', 'ü', ''),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
