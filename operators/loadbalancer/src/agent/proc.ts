// `show proc` on the master CLI: the master's reload and failure counters and its workers.
// A reload is confirmed by the counter moving, and judged by the failure counter.

export interface ProcessTable {
  masterPid: number;
  reloads: number;
  failedReloads: number;
  /** Workers started by the last successful (re)load. */
  workers: { pid: number; reloads: number }[];
  /** Workers of earlier configurations still finishing their connections. */
  oldWorkers: { pid: number; reloads: number }[];
}

export function parseShowProc(text: string): ProcessTable | undefined {
  let table: ProcessTable | undefined;
  let section: 'master' | 'workers' | 'old' | 'other' = 'master';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '# workers') section = 'workers';
    else if (line === '# old workers') section = 'old';
    else if (line.startsWith('# ')) section = 'other';
    if (line.startsWith('#') || line === '') continue;
    const master = /^(\d+)\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]/.exec(line);
    if (master) {
      table = { masterPid: Number(master[1]), reloads: Number(master[2]), failedReloads: Number(master[3]), workers: [], oldWorkers: [] };
      continue;
    }
    const worker = /^(\d+)\s+worker\s+(\d+)/.exec(line);
    if (worker && table) {
      const w = { pid: Number(worker[1]), reloads: Number(worker[2]) };
      if (section === 'workers') table.workers.push(w);
      else if (section === 'old') table.oldWorkers.push(w);
    }
  }
  return table;
}
