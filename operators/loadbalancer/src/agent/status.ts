// What the agent reports: the configuration it has applied (by hash, which the controller
// compares with the hash it rendered), how, and the last configuration it refused and why.
// Written as a JSON file (atomically) and handed to a callback; the controller wiring decides
// how it reaches the LoadBalancer status (pod annotation, readiness gate, or its own watch).
import { rename, writeFile } from 'node:fs/promises';
import type { SourceState } from './source.js';

export type ApplyMethod = 'start' | 'runtime' | 'reload';

export interface RejectedConfig {
  hash: string;
  at: string;
  /** haproxy -c's output, or what failed; at most 4 KiB. Never contains file contents. */
  reason: string;
}

export interface AgentStatus {
  phase: 'WaitingForConfig' | 'Running' | 'Stopped' | 'Failed';
  appliedHash?: string;
  appliedAt?: string;
  lastMethod?: ApplyMethod;
  /** Why the last reload was needed, when it was one. */
  lastReloadReason?: string;
  reloads: number;
  runtimeUpdates: number;
  /** Set while the newest configuration received is not the applied one because it failed. */
  rejected?: RejectedConfig;
  haproxyMasterPid?: number;
  /** Which configuration source the agent follows (the API or the mounted files), and why. */
  source?: SourceState;
  message?: string;
}

export function truncateReason(text: string, max = 4096): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Replaces `path` in one rename, so a reader never sees half a file. */
export async function writeStatusFile(path: string, status: AgentStatus): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`);
  await rename(tmp, path);
}
