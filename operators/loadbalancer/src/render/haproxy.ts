// LoadBalancer spec (+ resolved endpoints, certificate paths, class) → haproxy.cfg and its
// companion files. Pure and deterministic: the same inputs give byte-identical output, so the
// hash of the output says whether anything changed, and a no-op reconcile renders the same hash.
//
// Shape of the output, and why:
//   - master-worker, a runtime API socket at admin level (`expose-fd listeners` so a classic
//     `-x` reload also works), `default-path config` so companion files (crt-lists) are found
//     next to haproxy.cfg wherever the agent puts the bundle.
//   - One frontend per listener, one backend per pool, sorted by name: reordering the spec is
//     not a change. L7 policies keep their order: the first policy that matches sets a
//     transaction variable, and deny/redirect/use_backend act on that variable, so "first match
//     wins" holds even though HAProxy runs all http-request rules before use_backend.
//   - Backends have a fixed number of server slots (slots.ts), so member changes go through the
//     runtime API without a reload. What differs between two renders of the same structure is
//     confined to `server` lines (address, weight, `disabled`); the agent relies on this.
//   - Every user string is either re-checked against a safe charset and emitted bare, or quoted
//     (quote.ts). Addresses and CIDRs are re-printed from their parsed form, never copied.
import { durationMs } from '../api/formats.js';
import type { Listener, L7Policy, L7Rule, LoadBalancerSpec, Pool } from '../api/loadbalancer.js';
import { defaultSizes, type LoadBalancerClassSpec } from '../api/loadbalancerclass.js';
import { validateLoadBalancerSpec } from '../api/validate.js';
import { formatIp, parseIp } from '../ipam/address.js';
import { formatCidr, parseCidr } from '../ipam/range.js';
import { listenerCertificates } from './certificates.js';
import { configHash } from './hash.js';
import { RenderError, quoted, quotedLogFormat, word } from './quote.js';
import { assignSlots, maximumSlots, slotCount, type Slot, type SlotMember } from './slots.js';

/** A member resolved from a Service's EndpointSlices. */
export interface Endpoint {
  address: string;
  port: number;
  /** Default 1. */
  weight?: number;
}

/**
 * An address HAProxy takes from an environment variable when it parses the file. One
 * ConfigMap serves every replica of an LB, yet each replica must bind its own pod IP.
 */
export interface EnvironmentAddress {
  environment: string;
}

export interface RuntimeEndpoints {
  /** Unix socket of the runtime API (the agent's side channel to HAProxy). */
  adminSocket: string;
  /**
   * Address the stats page and Prometheus exporter bind to: a literal (host mode, tests), or in
   * pods the variable holding the cluster-network pod IP. Never a wildcard in a pod: with
   * Multus, 0.0.0.0 includes the public interface that carries the LB's address.
   */
  statsAddress: string | EnvironmentAddress;
  /** Overrides the class's statsPort (tests, several LBs on one host). */
  statsPort?: number;
}

export interface RenderInput {
  namespace: string;
  name: string;
  spec: LoadBalancerSpec;
  classSpec: LoadBalancerClassSpec;
  /** Addresses every listener binds to: the LB's allocated address(es). */
  bindAddresses: readonly string[];
  /** Members of serviceRef pools, by pool name. A missing entry means no ready endpoints. */
  endpoints?: Readonly<Record<string, readonly Endpoint[]>>;
  /** Path of each certificate Secret's PEM in the pod, by Secret name (key in the same file or in <path>.key). */
  certificatePaths?: Readonly<Record<string, string>>;
  runtime: RuntimeEndpoints;
}

export interface RenderedConfig {
  /** haproxy.cfg and companion files (`<listener>.crtlist`), by file name. */
  files: Record<string, string>;
  hash: string;
}

export const configFileName = 'haproxy.cfg';
export const policyVariable = 'txn.tugboat_policy';
const namePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const pathPattern = /^\/[A-Za-z0-9._/-]+$/;
const headerNamePattern = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const cookieNamePattern = /^[A-Za-z0-9_.-]+$/;
const hostnamePattern = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const expectedCodesPattern = /^[1-5][0-9]{2}(-[1-5][0-9]{2})?(,[1-5][0-9]{2}(-[1-5][0-9]{2})?)*$/;
const defaultCookie = 'TBLB';

export function frontendName(listener: string): string {
  return `ft_${word(listener, namePattern, 'listener name')}`;
}

export function backendName(pool: string): string {
  return `bk_${word(pool, namePattern, 'pool name')}`;
}

export function crtListFileName(listener: string): string {
  return `${word(listener, namePattern, 'listener name')}.crtlist`;
}

function ms(text: string, what: string): number {
  const v = durationMs(text);
  if (v === undefined) throw new RenderError([`${what}: "${text}" is not a duration`]);
  return v;
}

function address(text: string, what: string): { family: 4 | 6; text: string } {
  const ip = parseIp(text);
  if (ip === undefined) throw new RenderError([`${what}: "${text}" is not an IP address`]);
  return { family: ip.family, text: formatIp(ip) };
}

/** `a.b.c.d:port` or `ipv6@x::y:port`: HAProxy takes the last colon as the port separator. */
export function socketAddress(ip: string, port: number, what: string): string {
  const a = address(ip, what);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RenderError([`${what}: port ${port} is out of range`]);
  return a.family === 6 ? `ipv6@${a.text}:${port}` : `${a.text}:${port}`;
}

class Lines {
  readonly out: string[] = [];
  section(header: string): void {
    if (this.out.length > 0) this.out.push('');
    this.out.push(header);
  }
  add(line: string): void {
    this.out.push(`    ${line}`);
  }
}

function renderGlobal(c: Lines, input: RenderInput, maxconn: number): void {
  const g = input.classSpec.global;
  c.section('global');
  c.add('master-worker');
  c.add(`mworker-max-reloads ${g.maxReloads}`);
  c.add('default-path config');
  c.add(`stats socket ${word(input.runtime.adminSocket, pathPattern, 'runtime.adminSocket')} mode 600 level admin expose-fd listeners`);
  c.add('stats timeout 2m');
  c.add(`maxconn ${maxconn}`);
  if (g.threads !== undefined) c.add(`nbthread ${g.threads}`);
  c.add(`hard-stop-after ${ms(g.hardStopAfter, 'class global.hardStopAfter')}`);
  if (g.bufferSize !== undefined) c.add(`tune.bufsize ${g.bufferSize}`);
  c.add('tune.ssl.default-dh-param 2048');
}

function renderDefaults(c: Lines, input: RenderInput): void {
  const d = input.classSpec.defaults;
  c.section('defaults');
  c.add('mode tcp');
  c.add(`timeout connect ${ms(d.connect, 'class defaults.connect')}`);
  c.add(`timeout client ${ms(d.client, 'class defaults.client')}`);
  c.add(`timeout server ${ms(d.server, 'class defaults.server')}`);
  c.add(`timeout queue ${ms(d.queue, 'class defaults.queue')}`);
  c.add(`timeout http-request ${ms(d.httpRequest, 'class defaults.httpRequest')}`);
  c.add(`timeout http-keep-alive ${ms(d.httpKeepAlive, 'class defaults.httpKeepAlive')}`);
}

const environmentNamePattern = /^[A-Z_][A-Z0-9_]*$/;

function renderStats(c: Lines, input: RenderInput): void {
  const port = input.runtime.statsPort ?? input.classSpec.global.statsPort;
  const at = input.runtime.statsAddress;
  c.section('frontend stats');
  c.add('mode http');
  if (typeof at === 'string') {
    c.add(`bind ${socketAddress(at, port, 'runtime.statsAddress')}`);
  } else {
    // The only environment expansion in the file: user text never carries an unescaped '$'
    // (quote.ts). An unset or empty variable would leave ":port", which binds every address,
    // so HAProxy is told to refuse the file instead (2.4+ conditional blocks).
    const name = word(at.environment, environmentNamePattern, 'runtime.statsAddress.environment');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RenderError([`runtime.statsPort: port ${port} is out of range`]);
    c.add(`.if streq("$${name}","")`);
    c.add(`    .alert "${name} is empty or not set; the stats frontend would bind every address of the pod, including the public one"`);
    c.add('.endif');
    c.add(`bind "\${${name}}:${port}"`);
  }
  c.add('http-request use-service prometheus-exporter if { path /metrics }');
  c.add('stats enable');
  c.add('stats uri /stats');
  c.add('stats refresh 10s');
}

const matchMethod: Record<L7Rule['match'], string> = { Exact: 'str', Prefix: 'beg', Suffix: 'end', Contains: 'sub' };

function ruleFetch(rule: L7Rule, what: string): string {
  switch (rule.type) {
    case 'Host':
      return 'req.hdr(host),host_only';
    case 'Path':
      return 'path';
    case 'Header':
      // fhdr: the full header line, commas included, as a user reading the header would see it.
      return `req.fhdr(${word(rule.headerName ?? '', headerNamePattern, `${what}.headerName`)})`;
  }
}

/** `acl` lines for one policy's rules; returns the condition terms that AND them. */
function policyAcls(c: Lines, policy: L7Policy, index: number, what: string): string[] {
  return policy.rules.map((rule, ri) => {
    const acl = `p${index}_r${ri + 1}`;
    const caseless = rule.type === 'Host' ? ' -i' : '';
    // "--" ends the flags, so a value such as "-i" or "-f /etc/passwd" is a pattern, not an option.
    c.add(`acl ${acl} ${ruleFetch(rule, `${what}.rules[${ri}]`)} -m ${matchMethod[rule.match]}${caseless} -- ${quoted(rule.value, `${what}.rules[${ri}].value`)}`);
    return rule.invert ? `!${acl}` : acl;
  });
}

function renderPolicies(c: Lines, l: Listener, at: string): void {
  const policies = l.policies ?? [];
  if (policies.length === 0) return;
  policies.forEach((p, i) => {
    const terms = policyAcls(c, p, i + 1, `${at}.policies[${i}]`);
    c.add(`http-request set-var(${policyVariable}) int(${i + 1}) if !{ var(${policyVariable}) -m found } ${terms.join(' ')}`);
  });
  policies.forEach((p, i) => {
    const cond = `if { var(${policyVariable}) -m int ${i + 1} }`;
    const what = `${at}.policies[${i}]`;
    if (p.action === 'Reject') c.add(`http-request deny deny_status 403 ${cond}`);
    if (p.action === 'Redirect') {
      const r = p.redirect;
      if (r === undefined) throw new RenderError([`${what}.redirect: required for action Redirect`]);
      const target =
        r.url !== undefined
          ? `location ${quotedLogFormat(r.url, `${what}.redirect.url`)}`
          : r.prefix !== undefined
            ? `prefix ${quotedLogFormat(r.prefix, `${what}.redirect.prefix`)}`
            : `scheme ${r.scheme === 'http' ? 'http' : 'https'}`;
      c.add(`http-request redirect ${target} code ${r.statusCode} ${cond}`);
    }
  });
  policies.forEach((p, i) => {
    if (p.action === 'ForwardToPool' && p.pool !== undefined) {
      c.add(`use_backend ${backendName(p.pool)} if { var(${policyVariable}) -m int ${i + 1} }`);
    }
  });
}

function crtListContent(paths: Readonly<Record<string, string>>, certs: { secretName: string; sniHosts: readonly string[] }[], at: string): string {
  const lines = certs.map((cert, i) => {
    const path = paths[cert.secretName];
    if (path === undefined) throw new RenderError([`${at}: no certificate path for Secret "${cert.secretName}"; the controller must mount it and pass its path`]);
    const sni = cert.sniHosts.map((h) => word(h, hostnamePattern, `${at}[${i}].sniHosts`));
    return [word(path, pathPattern, `${at}[${i}] certificate path`), ...sni].join(' ');
  });
  return `${lines.join('\n')}\n`;
}

function renderFrontend(c: Lines, input: RenderInput, l: Listener, at: string, maxconn: number, files: Record<string, string>): void {
  const http = l.protocol !== 'TCP';
  c.section(`frontend ${frontendName(l.name)}`);
  c.add(`mode ${http ? 'http' : 'tcp'}`);
  let tls = '';
  if (l.protocol === 'HTTPS') {
    const certs = listenerCertificates(input.name, input.spec).get(l.name) ?? [];
    if (certs.length === 0 || l.tls === undefined) throw new RenderError([`${at}.tls: an HTTPS listener needs a certificate`]);
    const file = crtListFileName(l.name);
    files[file] = crtListContent(input.certificatePaths ?? {}, certs, `${at}.tls`);
    tls = ` ssl crt-list ${file} alpn ${l.tls.alpn.join(',')} ssl-min-ver ${l.tls.minVersion === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2'}`;
  }
  for (const a of input.bindAddresses) c.add(`bind ${socketAddress(a, l.port, `${at}.port`)}${tls}`);
  c.add(`maxconn ${l.connectionLimit ?? maxconn}`);
  if (l.timeouts?.client !== undefined) c.add(`timeout client ${ms(l.timeouts.client, `${at}.timeouts.client`)}`);
  if (http) {
    // Finish the in-flight request on an idle keep-alive connection instead of closing it under
    // the client when an old worker stops after a reload: reloads must not fail requests.
    c.add('option idle-close-on-response');
    if (l.timeouts?.httpRequest !== undefined) c.add(`timeout http-request ${ms(l.timeouts.httpRequest, `${at}.timeouts.httpRequest`)}`);
    if (l.timeouts?.httpKeepAlive !== undefined) c.add(`timeout http-keep-alive ${ms(l.timeouts.httpKeepAlive, `${at}.timeouts.httpKeepAlive`)}`);
  }
  const cidrs = [...(l.allowedCIDRs ?? [])].map((text, i) => {
    const parsed = parseCidr(text);
    if (parsed === undefined) throw new RenderError([`${at}.allowedCIDRs[${i}]: "${text}" is not a CIDR`]);
    return formatCidr(parsed);
  });
  if (cidrs.length > 0) {
    c.add(`tcp-request connection reject unless { src ${[...new Set(cidrs)].sort().join(' ')} }`);
  }
  if (http) {
    const fh = l.forwardedHeaders ?? { forwardedFor: true, forwardedProto: true, forwardedPort: false };
    if (fh.forwardedFor) {
      // Drop what the client claims before adding what we saw, so members can trust the header.
      c.add('http-request del-header X-Forwarded-For');
      c.add('option forwardfor');
    }
    if (fh.forwardedProto) c.add(`http-request set-header X-Forwarded-Proto ${l.protocol === 'HTTPS' ? 'https' : 'http'}`);
    if (fh.forwardedPort) c.add(`http-request set-header X-Forwarded-Port ${l.port}`);
    renderPolicies(c, l, at);
  }
  if (l.defaultPool !== undefined) c.add(`default_backend ${backendName(l.defaultPool)}`);
}

const balance: Record<Pool['algorithm'], string> = { RoundRobin: 'roundrobin', LeastConnections: 'leastconn', SourceIP: 'source' };

function poolMembers(input: RenderInput, p: Pool, at: string): { primary: SlotMember[]; backup: SlotMember[] } {
  if (p.members !== undefined) {
    const norm = (m: { address: string; port: number; weight: number }, i: number) => ({
      address: address(m.address, `${at}.members[${i}].address`).text,
      port: m.port,
      weight: m.weight,
    });
    return {
      primary: p.members.flatMap((m, i) => (m.backup ? [] : [norm(m, i)])),
      backup: p.members.flatMap((m, i) => (m.backup ? [norm(m, i)] : [])),
    };
  }
  const seen = new Set<string>();
  const primary: SlotMember[] = [];
  for (const [i, e] of (input.endpoints?.[p.name] ?? []).entries()) {
    const m = { address: address(e.address, `endpoints.${p.name}[${i}].address`).text, port: e.port, weight: e.weight ?? 1 };
    if (!Number.isInteger(m.weight) || m.weight < 0 || m.weight > 256) throw new RenderError([`endpoints.${p.name}[${i}].weight: ${m.weight} is not in 0..256`]);
    const key = `${m.address}:${m.port}`;
    if (!seen.has(key)) primary.push(m);
    seen.add(key);
  }
  return { primary, backup: [] };
}

/** Slots of a pool: primaries s1…sN, then backups b1…bM. */
export function poolSlots(input: RenderInput, p: Pool, at: string): { primary: Slot[]; backup: Slot[] } {
  const { primary, backup } = poolMembers(input, p, at);
  if (primary.length + backup.length > maximumSlots) {
    throw new RenderError([`${at}: ${primary.length + backup.length} members exceed the ${maximumSlots} a pool may have`]);
  }
  return {
    primary: assignSlots(primary, Math.max(p.serverSlots ?? 0, slotCount(primary.length)), 's'),
    backup: backup.length === 0 ? [] : assignSlots(backup, slotCount(backup.length, 4), 'b'),
  };
}

function expectedCodes(codes: string, at: string): string {
  return word(codes, expectedCodesPattern, at);
}

function renderBackend(c: Lines, input: RenderInput, p: Pool, at: string, http: boolean): void {
  c.section(`backend ${backendName(p.name)}`);
  c.add(`mode ${http ? 'http' : 'tcp'}`);
  c.add(`balance ${balance[p.algorithm]}`);
  // Consistent hashing makes "source" dynamic, so weights can change at runtime like the others.
  if (p.algorithm === 'SourceIP') c.add('hash-type consistent');
  if (p.timeouts?.connect !== undefined) c.add(`timeout connect ${ms(p.timeouts.connect, `${at}.timeouts.connect`)}`);
  if (p.timeouts?.server !== undefined) c.add(`timeout server ${ms(p.timeouts.server, `${at}.timeouts.server`)}`);
  const hm = p.healthMonitor;
  if (hm !== undefined) {
    c.add(`timeout check ${ms(hm.timeout, `${at}.healthMonitor.timeout`)}`);
    if (hm.type !== 'TCP') {
      const h = hm.http ?? { method: 'GET' as const, path: '/', expectedCodes: '200', host: undefined };
      c.add('option httpchk');
      const version = h.host !== undefined ? `ver HTTP/1.1 hdr Host ${quotedLogFormat(h.host, `${at}.healthMonitor.http.host`)}` : 'ver HTTP/1.0';
      c.add(`http-check send meth ${h.method} uri ${quoted(h.path, `${at}.healthMonitor.http.path`)} ${version}`);
      c.add(`http-check expect status ${expectedCodes(h.expectedCodes, `${at}.healthMonitor.http.expectedCodes`)}`);
    }
  }
  const sp = p.sessionPersistence;
  if (sp !== undefined) {
    const expire = ms(sp.timeout, `${at}.sessionPersistence.timeout`);
    if (sp.type === 'SourceIP') {
      c.add(`stick-table type ipv6 size 100k expire ${expire}`);
      c.add('stick on src');
    } else if (sp.type === 'HTTPCookie') {
      if (!http) throw new RenderError([`${at}.sessionPersistence: cookie persistence needs an HTTP pool`]);
      c.add(`cookie ${word(sp.cookieName ?? defaultCookie, cookieNamePattern, `${at}.sessionPersistence.cookieName`)} insert indirect nocache httponly`);
    } else {
      if (!http) throw new RenderError([`${at}.sessionPersistence: cookie persistence needs an HTTP pool`]);
      const name = word(sp.cookieName ?? '', cookieNamePattern, `${at}.sessionPersistence.cookieName`);
      c.add(`stick-table type string len 128 size 100k expire ${expire}`);
      c.add(`stick on req.cook(${name})`);
      c.add(`stick store-response res.cook(${name})`);
    }
  }
  const defaults: string[] = [];
  if (hm !== undefined) {
    defaults.push(`check inter ${ms(hm.interval, `${at}.healthMonitor.interval`)} rise ${hm.rise} fall ${hm.fall}`);
    if (hm.type === 'HTTPS') defaults.push('check-ssl verify none');
  }
  if (p.proxyProtocol === 'V1') defaults.push('send-proxy');
  if (p.proxyProtocol === 'V2') defaults.push('send-proxy-v2');
  if (defaults.length > 0) c.add(`default-server ${defaults.join(' ')}`);
  const cookie = sp?.type === 'HTTPCookie';
  const slots = poolSlots(input, p, at);
  const server = (slot: Slot, backup: boolean) => {
    const opts = [backup ? 'backup' : '', cookie ? `cookie ${slot.name}` : ''].filter((o) => o !== '').join(' ');
    const fixed = opts === '' ? '' : ` ${opts}`;
    // Empty slots point at a placeholder and start in maintenance; the agent fills them at runtime.
    if (slot.member === undefined) return `server ${slot.name} 127.0.0.1:1${fixed} weight 1 disabled`;
    return `server ${slot.name} ${socketAddress(slot.member.address, slot.member.port, at)}${fixed} weight ${slot.member.weight}`;
  };
  for (const s of slots.primary) c.add(server(s, false));
  for (const s of slots.backup) c.add(server(s, true));
}

/** Which pools are reached from HTTP(S) listeners; they become `mode http` backends. */
function httpPools(spec: LoadBalancerSpec): Set<string> {
  const out = new Set<string>();
  for (const l of spec.listeners) {
    if (l.protocol === 'TCP') continue;
    if (l.defaultPool !== undefined) out.add(l.defaultPool);
    for (const p of l.policies ?? []) if (p.pool !== undefined) out.add(p.pool);
  }
  return out;
}

function byName<T extends { name: string }>(items: readonly T[]): { item: T; index: number }[] {
  return items.map((item, index) => ({ item, index })).sort((a, b) => (a.item.name < b.item.name ? -1 : a.item.name > b.item.name ? 1 : 0));
}

/** Renders the configuration bundle; throws RenderError listing every problem with the input. */
export function renderHaproxyConfig(input: RenderInput): RenderedConfig {
  const problems = validateLoadBalancerSpec(input.spec).map((e) => `${e.path}: ${e.message}`);
  if (input.bindAddresses.length === 0) problems.push('bindAddresses: at least one address is needed to bind listeners to');
  if (problems.length > 0) throw new RenderError(problems);
  const size = input.classSpec.sizes?.[input.spec.size] ?? defaultSizes[input.spec.size];
  const files: Record<string, string> = {};
  const c = new Lines();
  c.out.push(`# haproxy.cfg of LoadBalancer ${word(input.namespace, namePattern, 'namespace')}/${word(input.name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'name')}, rendered by tugboat. Do not edit.`);
  renderGlobal(c, input, size.maxConnections);
  renderDefaults(c, input);
  renderStats(c, input);
  for (const { item, index } of byName(input.spec.listeners)) {
    renderFrontend(c, input, item, `spec.listeners[${index}]`, size.maxConnections, files);
  }
  const http = httpPools(input.spec);
  for (const { item, index } of byName(input.spec.pools)) {
    const wantsHttp = http.has(item.name) || item.sessionPersistence?.type === 'HTTPCookie' || item.sessionPersistence?.type === 'AppCookie';
    renderBackend(c, input, item, `spec.pools[${index}]`, wantsHttp);
  }
  files[configFileName] = `${c.out.join('\n')}\n`;
  return { files, hash: configHash(files) };
}
