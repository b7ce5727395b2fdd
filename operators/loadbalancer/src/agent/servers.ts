// Reading `server` lines out of a rendered haproxy.cfg, and `show servers state` out of the
// runtime API. The renderer (render/haproxy.ts) confines what may change without a reload to
// three things on a server line: the address, `weight N` and `disabled`. Everything else on the
// line, and every other line, is structure.

export interface ServerState {
  backend: string;
  name: string;
  address: string;
  port: number;
  weight: number;
  /** In maintenance: `disabled` in the file, or forced into maintenance at runtime. */
  disabled: boolean;
}

export interface ParsedConfig {
  /** The file with the variable parts of server lines removed: equal skeletons mean equal structure. */
  skeleton: string;
  /** Servers by `backend/name`. */
  servers: Map<string, ServerState>;
  /** Path of the runtime API socket (`stats socket` in global), if any. */
  adminSocket?: string;
}

/** `10.0.0.1:80`, `ipv4@10.0.0.1:80` or `ipv6@2001:db8::1:80`: the port follows the last colon. */
export function parseServerAddress(text: string): { address: string; port: number } | undefined {
  const bare = text.replace(/^ipv[46]@/, '');
  const colon = bare.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const port = Number(bare.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { address: bare.slice(0, colon), port };
}

export function serverKey(backend: string, name: string): string {
  return `${backend}/${name}`;
}

export function parseConfig(text: string): ParsedConfig {
  const servers = new Map<string, ServerState>();
  const skeleton: string[] = [];
  let section = '';
  let backend: string | undefined;
  let adminSocket: string | undefined;
  for (const line of text.split('\n')) {
    if (line !== '' && !/^\s/.test(line)) {
      section = line.trim().split(/\s+/)[0] ?? '';
      backend = section === 'backend' || section === 'listen' ? line.trim().split(/\s+/)[1] : undefined;
      skeleton.push(line);
      continue;
    }
    const tokens = line.trim().split(/\s+/);
    if (section === 'global' && tokens[0] === 'stats' && tokens[1] === 'socket' && adminSocket === undefined) adminSocket = tokens[2];
    const addr = tokens[0] === 'server' && backend !== undefined ? parseServerAddress(tokens[2] ?? '') : undefined;
    if (backend === undefined || addr === undefined || tokens[1] === undefined) {
      skeleton.push(line);
      continue;
    }
    let weight = 1;
    let disabled = false;
    const fixed: string[] = [];
    for (let i = 3; i < tokens.length; i++) {
      const t = tokens[i];
      if (t === 'weight') weight = Number(tokens[++i]);
      else if (t === 'disabled') disabled = true;
      else if (t !== undefined) fixed.push(t);
    }
    servers.set(serverKey(backend, tokens[1]), { backend, name: tokens[1], ...addr, weight, disabled });
    skeleton.push(`    server ${tokens[1]} ${fixed.join(' ')}`);
  }
  const out: ParsedConfig = { skeleton: skeleton.join('\n'), servers };
  if (adminSocket !== undefined) out.adminSocket = adminSocket;
  return out;
}

// srv_admin_state bits (HAProxy include/haproxy/server-t.h, SRV_ADMF_MAINT): forced, inherited
// and resolution-caused maintenance. Not 0x04 (CMAINT): it only records that the config said
// `disabled` and stays set after `set server ... state ready`. Draining is not maintenance.
const maintenanceBits = 0x01 | 0x02 | 0x20;

/**
 * Parses `show servers state [<backend>]` (format version 1): a version line, a `#` header
 * naming the columns, then one line per server.
 */
export function parseServersState(text: string): Map<string, ServerState> {
  const out = new Map<string, ServerState>();
  let columns: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# ')) {
      columns = line.slice(2).trim().split(/\s+/);
      continue;
    }
    const fields = line.trim().split(/\s+/);
    if (columns.length === 0 || fields.length < columns.length) continue;
    const get = (name: string) => fields[columns.indexOf(name)] ?? '';
    const backend = get('be_name');
    const name = get('srv_name');
    out.set(serverKey(backend, name), {
      backend,
      name,
      address: get('srv_addr'),
      port: Number(get('srv_port')),
      weight: Number(get('srv_uweight')),
      disabled: (Number(get('srv_admin_state')) & maintenanceBits) !== 0,
    });
  }
  return out;
}
