// Child processes of a test environment. Each runs in its own process group so stop() can take
// down anything it forked, and every group is recorded for the reaper, which kills them if the
// test process dies without calling stop() (SIGKILL, crash, Ctrl-C).
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  isRunning(): boolean;
  stop(graceMs?: number): Promise<void>;
  /** The last lines of the process's log, for error messages. */
  tail(lines?: number): string;
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL every group still alive.
  process.on('exit', () => {
    for (const p of live) killGroup(p.pid, 'SIGKILL');
  });
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill with the test process (default). False for `tugboat cluster up`, which outlives the CLI. */
  attached?: boolean;
}

export function startProcess(o: StartOptions): ManagedProcess {
  const fd = openSync(o.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(o.command, o.args, {
      cwd: o.cwd,
      env: { ...process.env, ...o.env },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`${o.name}: failed to start ${o.command}`);
  const pid = child.pid;
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      running = false;
      live.delete(proc);
      resolve(code ?? signal ?? 'unknown');
    });
    child.on('error', () => {
      running = false;
      live.delete(proc);
      resolve('spawn-error');
    });
  });
  if (o.attached === false) child.unref();
  const proc: ManagedProcess = {
    name: o.name,
    pid,
    logFile: o.logFile,
    exited,
    isRunning: () => running,
    async stop(graceMs = 5000) {
      if (!running) {
        killGroup(pid, 'SIGKILL'); // children of an exited leader may linger
        return;
      }
      killGroup(pid, 'SIGTERM');
      const t = await Promise.race([exited.then(() => 'exited'), sleep(graceMs).then(() => 'timeout')]);
      killGroup(pid, 'SIGKILL');
      if (t === 'timeout') await exited;
    },
    tail(lines = 30) {
      if (!existsSync(o.logFile)) return '';
      return readFileSync(o.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    },
  };
  if (o.attached !== false) {
    live.add(proc);
    installExitHook();
  }
  return proc;
}

/** Polls `check` until it returns true; fails with the process log if the process dies first. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; process?: ManagedProcess } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let lastError = '';
  while (Date.now() < deadline) {
    if (opts.process && !opts.process.isRunning()) {
      throw new Error(`${what}: ${opts.process.name} exited early. Last log lines:\n${opts.process.tail()}`);
    }
    try {
      if (await check()) return;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    }
    await sleep(opts.intervalMs ?? 200);
  }
  const log = opts.process ? `\nLast log lines of ${opts.process.name}:\n${opts.process.tail()}` : '';
  throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}${log}`);
}
