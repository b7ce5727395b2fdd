// Usage: node reaper.mjs <parentPid> <stateFile>
// Waits for the parent to die, then SIGKILLs the process groups in the state file and removes
// its directories. Plain JavaScript so it starts in milliseconds without a TypeScript loader.
import { readFileSync, rmSync } from 'node:fs';

const parent = Number(process.argv[2]);
const stateFile = process.argv[3];
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const timer = setInterval(() => {
  if (alive(parent)) return;
  clearInterval(timer);
  let state = { pgids: [], dirs: [] };
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    /* nothing recorded */
  }
  for (const g of state.pgids) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const d of state.dirs) rmSync(d, { recursive: true, force: true });
  process.exit(0);
}, 250);
