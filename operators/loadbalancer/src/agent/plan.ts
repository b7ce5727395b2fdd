// Deciding how to go from the running configuration to a new one: not at all, through the
// runtime API, or by reloading. Pure, so every case is a unit test.
//
// A runtime update is chosen only when the two bundles differ in nothing but the address,
// weight or maintenance state of existing server slots. Anything else (a listener, a backend
// option, a certificate list, the number of slots) needs HAProxy to parse the file again.
import { parseConfig, serverKey, type ServerState } from './servers.js';

export type ConfigFiles = Readonly<Record<string, string>>;

export interface ServerChange {
  from: ServerState;
  to: ServerState;
}

export type UpdatePlan =
  | { kind: 'unchanged' }
  | { kind: 'runtime'; changes: ServerChange[]; commands: string[] }
  | { kind: 'reload'; reason: string };

export const mainConfigFile = 'haproxy.cfg';

function sameFileSet(a: ConfigFiles, b: ConfigFiles): string | undefined {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const n of [...names].sort()) {
    if (n === mainConfigFile) continue;
    if (a[n] !== b[n]) return a[n] === undefined ? `file ${n} was added` : b[n] === undefined ? `file ${n} was removed` : `file ${n} changed`;
  }
  return undefined;
}

/**
 * The runtime API commands that turn `from` into `to`, in order. A server whose address changes
 * is put into maintenance first, so no new connection goes to a half-updated slot; it is made
 * ready last, after its address and weight are right.
 */
export function serverCommands(from: ServerState, to: ServerState): string[] {
  const id = serverKey(to.backend, to.name);
  const moved = from.address !== to.address || from.port !== to.port;
  const out: string[] = [];
  const wasReady = !from.disabled;
  if (to.disabled || (moved && wasReady)) {
    if (wasReady) out.push(`set server ${id} state maint`);
  }
  if (moved) out.push(`set server ${id} addr ${to.address} port ${to.port}`);
  if (from.weight !== to.weight) out.push(`set server ${id} weight ${to.weight}`);
  if (!to.disabled && (from.disabled || moved)) out.push(`set server ${id} state ready`);
  return out;
}

export function planUpdate(current: ConfigFiles, next: ConfigFiles): UpdatePlan {
  const a = current[mainConfigFile];
  const b = next[mainConfigFile];
  if (b === undefined) return { kind: 'reload', reason: `the new configuration has no ${mainConfigFile}` };
  if (a === undefined) return { kind: 'reload', reason: 'nothing is running yet' };
  const fileChange = sameFileSet(current, next);
  if (a === b && fileChange === undefined) return { kind: 'unchanged' };
  if (fileChange !== undefined) return { kind: 'reload', reason: fileChange };
  const pa = parseConfig(a);
  const pb = parseConfig(b);
  if (pa.skeleton !== pb.skeleton) {
    const la = pa.skeleton.split('\n');
    const lb = pb.skeleton.split('\n');
    const i = la.findIndex((line, k) => line !== lb[k]);
    const at = i < 0 ? la.length : i;
    return { kind: 'reload', reason: `configuration changed at line ${at + 1}: ${JSON.stringify((lb[at] ?? '<end of file>').trim())}` };
  }
  const changes: ServerChange[] = [];
  for (const [key, to] of pb.servers) {
    const from = pa.servers.get(key);
    if (from === undefined) return { kind: 'reload', reason: `server ${key} is new` };
    if (from.address !== to.address || from.port !== to.port || from.weight !== to.weight || from.disabled !== to.disabled) changes.push({ from, to });
  }
  if (changes.length === 0) return { kind: 'reload', reason: 'the files differ outside server lines' };
  return { kind: 'runtime', changes, commands: changes.flatMap((c) => serverCommands(c.from, c.to)) };
}
