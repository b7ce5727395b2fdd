// Cross-field validation for the admission webhook, and for objects built in code (controller,
// tests), which never pass through the apiserver's schema. Pure: it sees the spec and, when the
// webhook has them, the names of Secrets that exist. Each message names the field and the fix,
// as it is what `kubectl apply` prints.
//
// The schema and CEL rules already hold most single-field constraints at the apiserver; they
// are repeated here where the renderer depends on them (an unchecked string in haproxy.cfg is a
// config injection), so the renderer can rely on a spec that passed this function.
import { parsePool } from '../ipam/allocator.js';
import {
  durationMs,
  exactHostname,
  headerValuePattern,
  hostname,
  httpPath,
  isCanonicalCidr,
  isCanonicalIp,
  maxDurationMs,
} from './formats.js';
import type { IPPoolSpec } from './ippool.js';
import { loadBalancerSpecSchema, type LoadBalancerSpec, type Listener, type Pool } from './loadbalancer.js';

export interface FieldError {
  /** Path of the offending field, as the apiserver writes it: spec.listeners[0].port. */
  path: string;
  message: string;
}

export interface ValidationContext {
  /** Secrets that exist in the load balancer's namespace; when given, references are checked. */
  secretNames?: ReadonlySet<string>;
}

export const issuerHostnamesMessage =
  'tls.issuer needs hostnames: the DNS names cert-manager issues the certificate for (and, for HTTP-01, that resolve to the load balancer address), e.g. hostnames: [shop.example.com]';

function checkDuration(errors: FieldError[], path: string, value: string | undefined): void {
  if (value === undefined) return;
  const ms = durationMs(value);
  if (ms === undefined || ms < 1 || ms > maxDurationMs) {
    errors.push({ path, message: `"${value}" is not a duration between 1ms and 24h; write it as 500ms, 30s, 5m or 1h30m` });
  }
}

function duplicates<T>(items: readonly T[], key: (t: T) => string): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  items.forEach((item, i) => seen.set(key(item), [...(seen.get(key(item)) ?? []), i]));
  return new Map([...seen].filter(([, idx]) => idx.length > 1));
}

function isPathValue(v: string): boolean {
  return httpPath.safeParse(v.startsWith('/') ? v : `/${v}`).success;
}

function isHostValue(v: string, match: string): boolean {
  // Exact compares a whole name; the other matches compare parts of one (".example.com").
  if (match !== 'Exact') return /^[a-z0-9.*-]+$/.test(v);
  return hostname.safeParse(v).success;
}

function validateListener(errors: FieldError[], l: Listener, at: string, pools: ReadonlyMap<string, Pool>, ctx: ValidationContext): void {
  if (l.defaultPool !== undefined && !pools.has(l.defaultPool)) {
    errors.push({ path: `${at}.defaultPool`, message: `pool "${l.defaultPool}" does not exist; add it to spec.pools or name one of: ${[...pools.keys()].join(', ')}` });
  }
  if (l.protocol === 'TCP' && l.defaultPool === undefined) {
    errors.push({ path: `${at}.defaultPool`, message: 'a TCP listener forwards everything to one pool: set defaultPool' });
  }
  checkDuration(errors, `${at}.timeouts.client`, l.timeouts?.client);
  checkDuration(errors, `${at}.timeouts.httpRequest`, l.timeouts?.httpRequest);
  checkDuration(errors, `${at}.timeouts.httpKeepAlive`, l.timeouts?.httpKeepAlive);
  if (l.protocol === 'TCP' && (l.timeouts?.httpRequest !== undefined || l.timeouts?.httpKeepAlive !== undefined)) {
    errors.push({ path: `${at}.timeouts`, message: 'httpRequest and httpKeepAlive timeouts apply to HTTP/HTTPS listeners only; remove them or change the protocol' });
  }
  (l.allowedCIDRs ?? []).forEach((c, i) => {
    if (!isCanonicalCidr(c)) {
      errors.push({ path: `${at}.allowedCIDRs[${i}]`, message: `"${c}" is not a CIDR with zero host bits in canonical form; write a network such as 10.0.0.0/8 or 2001:db8::/32` });
    }
  });
  if (l.protocol === 'TCP') {
    if (l.forwardedHeaders !== undefined) {
      errors.push({ path: `${at}.forwardedHeaders`, message: 'X-Forwarded headers need protocol HTTP or HTTPS; for TCP, set proxyProtocol on the pool to pass the client address' });
    }
    if ((l.policies ?? []).length > 0) {
      errors.push({ path: `${at}.policies`, message: 'L7 policies need protocol HTTP or HTTPS; remove them or change the protocol' });
    }
  }
  if (l.protocol === 'HTTPS') {
    const certs = l.tls?.certificates ?? [];
    if (l.tls === undefined || (certs.length === 0) === (l.tls.issuer === undefined)) {
      errors.push({ path: `${at}.tls`, message: 'an HTTPS listener needs exactly one of tls.certificates (a kubernetes.io/tls Secret) or tls.issuer (cert-manager)' });
    }
    certs.forEach((c, i) => {
      if (ctx.secretNames !== undefined && !ctx.secretNames.has(c.secretRef.name)) {
        errors.push({ path: `${at}.tls.certificates[${i}].secretRef.name`, message: `Secret "${c.secretRef.name}" does not exist in this namespace; create it (kubectl create secret tls ${c.secretRef.name} --cert=… --key=…) or fix the name` });
      }
    });
  } else if (l.tls !== undefined) {
    errors.push({ path: `${at}.tls`, message: 'tls is only used by HTTPS listeners; set protocol: HTTPS or remove tls' });
  }
  for (const [name, idx] of duplicates(l.policies ?? [], (p) => p.name)) {
    errors.push({ path: `${at}.policies[${idx[1]}].name`, message: `policy name "${name}" is used ${idx.length} times; policy names must be unique within a listener` });
  }
  (l.policies ?? []).forEach((p, pi) => {
    const pat = `${at}.policies[${pi}]`;
    if (p.action === 'ForwardToPool') {
      if (p.pool === undefined) errors.push({ path: `${pat}.pool`, message: 'action ForwardToPool needs pool: the pool to send matching requests to' });
      else if (!pools.has(p.pool)) errors.push({ path: `${pat}.pool`, message: `pool "${p.pool}" does not exist; add it to spec.pools or name one of: ${[...pools.keys()].join(', ')}` });
    } else if (p.pool !== undefined) {
      errors.push({ path: `${pat}.pool`, message: `pool is only used by action ForwardToPool; remove it or change the action` });
    }
    if (p.action === 'Redirect') {
      const r = p.redirect;
      if (r === undefined) errors.push({ path: `${pat}.redirect`, message: 'action Redirect needs redirect: url, prefix or scheme' });
      else if ([r.url, r.prefix, r.scheme].filter((x) => x !== undefined).length !== 1) {
        errors.push({ path: `${pat}.redirect`, message: 'set exactly one of redirect.url, redirect.prefix or redirect.scheme' });
      }
    } else if (p.redirect !== undefined) {
      errors.push({ path: `${pat}.redirect`, message: 'redirect is only used by action Redirect; remove it or change the action' });
    }
    p.rules.forEach((r, ri) => {
      const rat = `${pat}.rules[${ri}]`;
      if ((r.type === 'Header') !== (r.headerName !== undefined)) {
        errors.push({ path: `${rat}.headerName`, message: r.type === 'Header' ? 'a Header rule needs headerName' : 'headerName is only used by Header rules; remove it' });
      }
      if (!headerValuePattern.test(r.value)) {
        errors.push({ path: `${rat}.value`, message: 'must be printable ASCII without double quotes, backslashes or control characters' });
      } else if (r.type === 'Host' && !isHostValue(r.value, r.match)) {
        errors.push({ path: `${rat}.value`, message: `"${r.value}" is not a lower-case host name; write example.com (or .example.com with match Suffix)` });
      } else if (r.type === 'Path' && !isPathValue(r.value)) {
        errors.push({ path: `${rat}.value`, message: `"${r.value}" is not a URL path; use path characters only, e.g. /api/ (no spaces, quotes, "#", "?")` });
      }
    });
  });
}

function validatePool(errors: FieldError[], p: Pool, at: string): void {
  if ((p.members === undefined) === (p.serviceRef === undefined)) {
    errors.push({ path: at, message: 'set exactly one of members (static addresses) or serviceRef (a Service\'s endpoints)' });
  }
  (p.members ?? []).forEach((m, i) => {
    if (!isCanonicalIp(m.address)) {
      errors.push({ path: `${at}.members[${i}].address`, message: `"${m.address}" is not an IP address in canonical form; write 10.0.0.1 or 2001:db8::1` });
    }
  });
  for (const [key, idx] of duplicates(p.members ?? [], (m) => `${m.address}:${m.port}`)) {
    errors.push({ path: `${at}.members[${idx[1]}]`, message: `member ${key} is listed ${idx.length} times; list each address and port once` });
  }
  const hm = p.healthMonitor;
  if (hm !== undefined) {
    checkDuration(errors, `${at}.healthMonitor.interval`, hm.interval);
    checkDuration(errors, `${at}.healthMonitor.timeout`, hm.timeout);
    const iv = durationMs(hm.interval);
    const to = durationMs(hm.timeout);
    if (iv !== undefined && to !== undefined && to > iv) {
      errors.push({ path: `${at}.healthMonitor.timeout`, message: `timeout ${hm.timeout} exceeds interval ${hm.interval}; lower the timeout or raise the interval` });
    }
    if (hm.type === 'TCP' && hm.http !== undefined) {
      errors.push({ path: `${at}.healthMonitor.http`, message: 'http settings apply to HTTP and HTTPS health monitors; remove them or set type: HTTP' });
    }
    if (hm.http !== undefined) {
      for (const part of hm.http.expectedCodes.split(',')) {
        const [lo, hi] = part.split('-').map(Number);
        if (hi !== undefined && lo !== undefined && hi < lo) {
          errors.push({ path: `${at}.healthMonitor.http.expectedCodes`, message: `range ${part} is backwards; write the lower code first` });
        }
      }
      if (hm.http.host !== undefined && !exactHostname.safeParse(hm.http.host).success) {
        errors.push({ path: `${at}.healthMonitor.http.host`, message: 'must be a lower-case host name without wildcard' });
      }
    }
  }
  const sp = p.sessionPersistence;
  if (sp !== undefined) {
    checkDuration(errors, `${at}.sessionPersistence.timeout`, sp.timeout);
    if (sp.type === 'AppCookie' && sp.cookieName === undefined) {
      errors.push({ path: `${at}.sessionPersistence.cookieName`, message: 'AppCookie persistence follows a cookie your application sets: name it in cookieName' });
    }
    if (sp.type === 'SourceIP' && sp.cookieName !== undefined) {
      errors.push({ path: `${at}.sessionPersistence.cookieName`, message: 'cookieName does not apply to SourceIP persistence; remove it' });
    }
  }
  checkDuration(errors, `${at}.timeouts.connect`, p.timeouts?.connect);
  checkDuration(errors, `${at}.timeouts.server`, p.timeouts?.server);
}

/** HAProxy backends have one mode: a pool serves either TCP or HTTP(S) listeners, not both. */
function validatePoolModes(errors: FieldError[], spec: LoadBalancerSpec): void {
  const users = new Map<string, { tcp: string[]; http: string[] }>();
  const use = (pool: string | undefined, listener: Listener) => {
    if (pool === undefined) return;
    const u = users.get(pool) ?? { tcp: [], http: [] };
    (listener.protocol === 'TCP' ? u.tcp : u.http).push(listener.name);
    users.set(pool, u);
  };
  for (const l of spec.listeners) {
    use(l.defaultPool, l);
    for (const p of l.policies ?? []) use(p.pool, l);
  }
  spec.pools.forEach((p, i) => {
    const u = users.get(p.name);
    if (u === undefined) return;
    if (u.tcp.length > 0 && u.http.length > 0) {
      errors.push({
        path: `spec.pools[${i}]`,
        message: `pool "${p.name}" is used by TCP listener ${u.tcp[0]} and HTTP listener ${u.http[0]}; a pool speaks one protocol, so give each its own pool`,
      });
    }
    const cookie = p.sessionPersistence?.type === 'HTTPCookie' || p.sessionPersistence?.type === 'AppCookie';
    if (cookie && u.tcp.length > 0) {
      errors.push({ path: `spec.pools[${i}].sessionPersistence.type`, message: `cookie persistence needs HTTP, but pool "${p.name}" serves TCP listener ${u.tcp[0]}; use SourceIP` });
    }
  });
}

/** Every problem with a LoadBalancer spec; empty when it can be rendered. Accepts unparsed input. */
export function validateLoadBalancerSpec(input: unknown, ctx: ValidationContext = {}): FieldError[] {
  const parsed = loadBalancerSpecSchema.safeParse(input);
  if (!parsed.success) {
    return parsed.error.issues.map((i) => {
      const path = ['spec', ...i.path].map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('').replace(/^\./, '');
      // cert-manager issues for the names listed here; without one there is nothing to request.
      const missingIssuerHosts = path.endsWith('.tls.issuer.hostnames') && (i.code === 'invalid_type' || i.code === 'too_small');
      return { path, message: missingIssuerHosts ? issuerHostnamesMessage : i.message };
    });
  }
  const spec = parsed.data;
  const errors: FieldError[] = [];
  if (spec.address !== undefined && !isCanonicalIp(spec.address)) {
    errors.push({ path: 'spec.address', message: `"${spec.address}" is not an IP address in canonical form; write 10.0.0.1 or 2001:db8::1, or leave it empty` });
  }
  for (const [port, idx] of duplicates(spec.listeners, (l) => String(l.port))) {
    errors.push({ path: `spec.listeners[${idx[1]}].port`, message: `port ${port} is used by ${idx.length} listeners; each listener needs its own port` });
  }
  for (const [name, idx] of duplicates(spec.listeners, (l) => l.name)) {
    errors.push({ path: `spec.listeners[${idx[1]}].name`, message: `listener name "${name}" is used ${idx.length} times; names must be unique` });
  }
  for (const [name, idx] of duplicates(spec.pools, (p) => p.name)) {
    errors.push({ path: `spec.pools[${idx[1]}].name`, message: `pool name "${name}" is used ${idx.length} times; names must be unique` });
  }
  const pools = new Map(spec.pools.map((p) => [p.name, p]));
  spec.listeners.forEach((l, i) => validateListener(errors, l, `spec.listeners[${i}]`, pools, ctx));
  spec.pools.forEach((p, i) => validatePool(errors, p, `spec.pools[${i}]`));
  validatePoolModes(errors, spec);
  return errors;
}

/** Every problem with an IPPool spec. */
export function validateIPPoolSpec(spec: IPPoolSpec): FieldError[] {
  const parsed = parsePool({ addresses: spec.addresses, exclude: spec.exclude });
  const errors: FieldError[] = parsed.ok ? [] : parsed.errors.map((e) => ({ path: e.slice(0, e.indexOf(':')), message: e.slice(e.indexOf(':') + 2) }));
  if (parsed.ok && parsed.pool.free.length === 0) {
    errors.push({ path: 'spec.addresses', message: 'after exclusions the pool has no usable address; widen spec.addresses or shrink spec.exclude' });
  }
  if (spec.network?.gateway !== undefined && !isCanonicalIp(spec.network.gateway)) {
    errors.push({ path: 'spec.network.gateway', message: `"${spec.network.gateway}" is not an IP address in canonical form` });
  }
  return errors;
}
