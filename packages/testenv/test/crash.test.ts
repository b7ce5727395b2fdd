import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlaneState } from '../src/index.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('leaves no process and no directory behind when the test process is killed', async () => {
  const out = await new Promise<string>((ok) => {
    execFile(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'crash.ts')], (_e, stdout) => ok(stdout));
  });
  const state = JSON.parse(out.trim().split('\n').pop() ?? '{}') as ControlPlaneState;
  const pids = Object.values(state.pgids);
  assert.ok(pids.length >= 2, `expected etcd and apiserver pids, got ${out}`);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && (pids.some(alive) || existsSync(state.dir))) await sleep(200);
  assert.deepEqual(pids.filter(alive), [], 'all control plane processes are gone');
  assert.equal(existsSync(state.dir), false, 'the working directory is removed');
});
