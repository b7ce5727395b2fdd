// The configuration as a mounted ConfigMap directory. The kubelet's atomic writer puts the
// files in a timestamped directory, points `..data` at it, and makes each key a symlink through
// `..data`; an update swaps the `..data` symlink in one rename. Watching a file therefore sees
// nothing (the inode it watches never changes), so this watches the directory, and reads every
// file through one resolution of `..data` so a swap in the middle of a read cannot mix two
// versions. A slow poll backs the watch up, as inotify events can be lost.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sameFiles, type ConfigSnapshot, type ConfigSource, type SourceState } from './source.js';

export interface FileSourceOptions {
  /** How often to re-read even without an event. Default 10 s. */
  pollMs?: number;
  /** Quiet time after an event before reading, to see a multi-step update as one. Default 50 ms. */
  settleMs?: number;
  /** The file that must exist for a snapshot to count. Default haproxy.cfg. */
  requiredFile?: string;
}

async function readBundle(dir: string): Promise<Record<string, string> | undefined> {
  let base = dir;
  try {
    base = await realpath(join(dir, '..data'));
  } catch {
    // Not an atomic-writer directory: read the files in place.
  }
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return undefined;
  }
  const files: Record<string, string> = {};
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const path = join(base, name);
    try {
      if (!(await stat(path)).isFile()) continue;
      files[name] = await readFile(path, 'utf8');
    } catch {
      // Removed between readdir and read: the next event or poll sees the new state.
      return undefined;
    }
  }
  return files;
}

export function fileConfigSource(dir: string, opts: FileSourceOptions = {}): ConfigSource {
  const pollMs = opts.pollMs ?? 10_000;
  const settleMs = opts.settleMs ?? 50;
  const required = opts.requiredFile ?? 'haproxy.cfg';
  return {
    async run(onSnapshot: (s: ConfigSnapshot) => void, signal: AbortSignal, onState?: (state: SourceState) => void): Promise<void> {
      onState?.({ active: 'file', since: new Date().toISOString() });
      let last: Record<string, string> | undefined;
      let wake: (() => void) | undefined;
      let dirty = true;
      const poke = () => {
        dirty = true;
        wake?.();
      };
      let watcher: FSWatcher | undefined;
      const ensureWatch = () => {
        if (watcher !== undefined) return;
        try {
          watcher = watch(dir, { persistent: false }, poke);
          watcher.on('error', () => {
            watcher?.close();
            watcher = undefined;
            poke();
          });
        } catch {
          // The directory does not exist yet; the poll retries.
        }
      };
      const onAbort = () => wake?.();
      signal.addEventListener('abort', onAbort);
      try {
        while (!signal.aborted) {
          ensureWatch();
          if (dirty) {
            dirty = false;
            await sleep(settleMs);
            const files = await readBundle(dir);
            if (files !== undefined && files[required] !== undefined && (last === undefined || !sameFiles(last, files))) {
              last = files;
              onSnapshot({ files, origin: dir });
            }
          }
          if (dirty || signal.aborted) continue;
          // Without a watch (the directory is not there yet) look again soon.
          const wait = watcher === undefined ? Math.min(pollMs, 500) : pollMs;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              dirty = true;
              resolve();
            }, wait);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        watcher?.close();
      }
    },
  };
}
