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

/**
 * Names the block of lines that differs between two skeletons (common start and end trimmed),
 * with its section. Naming the first differing line alone misleads: lines removed above the
 * server lines would make the first unchanged `server` line look like the change.
 */
export function structureChange(from: string, to: string): string {
  const a = from.split('\n');
  const b = to.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const isHeader = (l: string) => l !== '' && !/^\s/.test(l);
  const removed = a.slice(start, a.length - end);
  const added = b.slice(start, b.length - end);
  const first = [...added, ...removed].find((l) => l !== '') ?? '';
  // A whole section added or removed names itself; a change inside one names its section.
  const header = isHeader(first) ? undefined : b.slice(0, start).reverse().find(isHeader);
  const section = header === undefined ? '' : ` in ${JSON.stringify(header)}`;
  const lines = (list: string[]) => {
    const shown = list.map((l) => l.trim()).filter((l) => l !== '');
    return `${JSON.stringify(shown[0] ?? '')}${shown.length > 1 ? ` and ${shown.length - 1} more line(s)` : ''}`;
  };
  const what =
    removed.length === 0 ? `added ${lines(added)}` : added.length === 0 ? `removed ${lines(removed)}` : `${lines(removed)} became ${lines(added)}`;
  return `configuration changed at line ${start + 1}${section}: ${what}`;
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
  if (pa.skeleton !== pb.skeleton) return { kind: 'reload', reason: structureChange(pa.skeleton, pb.skeleton) };
  const changes: ServerChange[] = [];
  for (const [key, to] of pb.servers) {
    const from = pa.servers.get(key);
    if (from === undefined) return { kind: 'reload', reason: `server ${key} is new` };
    if (from.address !== to.address || from.port !== to.port || from.weight !== to.weight || from.disabled !== to.disabled) changes.push({ from, to });
  }
  if (changes.length === 0) return { kind: 'reload', reason: 'the files differ outside server lines' };
  return { kind: 'runtime', changes, commands: changes.flatMap((c) => serverCommands(c.from, c.to)) };
}
