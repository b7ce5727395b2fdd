// Kills a test environment's process groups when the process that started it dies without
// cleaning up. It runs as a tiny detached node process that polls its parent's pid.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Reaper {
  /** Records the current set of process groups and directories to clean. */
  update(pgids: number[], dirs: string[]): void;
  /** Stops the reaper without killing anything (the owner cleaned up itself). */
  dismiss(): void;
}

export function startReaper(stateFile: string): Reaper {
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'reaper.mjs');
  writeFileSync(stateFile, JSON.stringify({ pgids: [], dirs: [] }));
  const child = spawn(process.execPath, [script, String(process.pid), stateFile], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return {
    update(pgids, dirs) {
      writeFileSync(stateFile, JSON.stringify({ pgids, dirs }));
    },
    dismiss() {
      try {
        if (child.pid) process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}

/**
 * Stops a data service's process (if it got that far), removes its directory and dismisses its
 * reaper: the one teardown every starter needs, on success and on a failed start alike.
 */
export async function releaseService(
  proc: { stop(graceMs?: number): Promise<void> } | undefined,
  dir: string,
  reaper: Reaper,
  graceMs = 1000,
): Promise<void> {
  await proc?.stop(graceMs);
  await rm(dir, { recursive: true, force: true });
  reaper.dismiss();
}
