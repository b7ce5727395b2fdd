// The HAProxy process, in master-worker mode: `haproxy -W -S <master socket> -f <cfg>`. The
// master stays in the foreground as the agent's child; reloads go through the master CLI, which
// re-executes the master, passes the listening sockets to the new worker over its internal
// socketpair (no connection refused), and lets old workers finish their connections (bounded
// by hard-stop-after). HAProxy 2.6's `reload` answers nothing, so its outcome is read from
// `show proc`: the reload counter moves, and the failure counter says whether it worked.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliCommand } from './cli.js';
import { parseShowProc, type ProcessTable } from './proc.js';

export interface HaproxyOptions {
  /** The haproxy binary; default "haproxy" on PATH. */
  binary?: string;
  /** Path of the master CLI socket. */
  masterSocket: string;
  /** Receives HAProxy's own output (alerts, warnings), line by line. */
  onOutput?: (line: string) => void;
}

export type CheckResult = { ok: true } | { ok: false; output: string };

function collectLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) if (p !== '') onLine(p);
  });
  stream.on('end', () => {
    if (rest !== '') onLine(rest);
  });
}

/** `haproxy -c -f <dir>/haproxy.cfg`: parses the whole configuration, opens nothing. */
export async function checkConfig(dir: string, binary = 'haproxy'): Promise<CheckResult> {
  const child = spawn(binary, ['-c', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  collectLines(child.stdout, (l) => out.push(l));
  collectLines(child.stderr, (l) => out.push(l));
  const [code] = (await once(child, 'close')) as [number | null];
  return code === 0 ? { ok: true } : { ok: false, output: out.join('\n') || `haproxy -c exited with ${code}` };
}

export interface HaproxyProcess {
  readonly pid: number;
  /** Current process table from the master CLI. */
  showProc(): Promise<ProcessTable>;
  /** Re-reads the configuration; resolves when the new worker runs, rejects when HAProxy refused it. */
  reload(timeoutMs?: number): Promise<ProcessTable>;
  /** Resolves with the exit code when the master exits. */
  readonly exited: Promise<number | null>;
  /** SIGTERM to the master (hard stop of all workers), then SIGKILL after a grace period. */
  stop(graceMs?: number): Promise<void>;
}

async function masterTable(socket: string, timeoutMs: number): Promise<ProcessTable> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const table = parseShowProc(await cliCommand(socket, 'show proc', 2000));
      if (table !== undefined) return table;
      last = 'unparseable show proc';
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`HAProxy master CLI did not answer within ${timeoutMs}ms: ${last}`);
    await sleep(50);
  }
}

/** Starts the master and waits until a worker serves the configuration in `cfgPath`. */
export async function startHaproxy(cfgPath: string, opts: HaproxyOptions, timeoutMs = 15_000): Promise<HaproxyProcess> {
  // The last lines HAProxy printed explain a failed start (an ALERT); keep them for the error.
  const recent: string[] = [];
  const output = (line: string) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    opts.onOutput?.(line);
  };
  const child: ChildProcess = spawn(opts.binary ?? 'haproxy', ['-W', '-S', `${opts.masterSocket},mode,600`, '-f', cfgPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  collectLines(child.stdout, output);
  collectLines(child.stderr, output);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const pid = child.pid;
  if (pid === undefined) throw new Error('haproxy did not start');
  const failed = exited.then((code) => {
    const alerts = recent.filter((l) => l.includes('[ALERT]'));
    throw new Error(`haproxy exited with ${code} while starting${alerts.length > 0 ? `: ${alerts.join('; ')}` : ''}`);
  });
  failed.catch(() => {});
  await Promise.race([
    (async () => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const t = await masterTable(opts.masterSocket, Math.max(1, deadline - Date.now()));
        if (t.workers.length > 0) return t;
        if (Date.now() > deadline) throw new Error(`haproxy started no worker within ${timeoutMs}ms`);
        await sleep(50);
      }
    })(),
    failed,
  ]).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  // An agent that dies without stop() must not leave HAProxy holding the LB's ports (host
  // mode); workers exit on their own when their master is gone.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  let reloading: Promise<ProcessTable> | undefined;
  return {
    pid,
    exited,
    showProc: () => masterTable(opts.masterSocket, 5000),
    reload(reloadTimeoutMs = 30_000) {
      if (reloading) return reloading;
      reloading = (async () => {
        const before = await masterTable(opts.masterSocket, 5000);
        const oldPids = new Set([...before.workers, ...before.oldWorkers].map((w) => w.pid));
        // The master closes every CLI connection when it re-executes; an error here is expected.
        await cliCommand(opts.masterSocket, 'reload', 5000).catch(() => '');
        const deadline = Date.now() + reloadTimeoutMs;
        for (;;) {
          const t = await masterTable(opts.masterSocket, Math.max(1, deadline - Date.now()));
          if (t.failedReloads > before.failedReloads) throw new Error('HAProxy refused the new configuration; the previous one keeps serving');
          if (t.reloads > before.reloads && t.workers.some((w) => !oldPids.has(w.pid))) return t;
          if (Date.now() > deadline) throw new Error(`no new HAProxy worker within ${reloadTimeoutMs}ms of the reload`);
          await sleep(50);
        }
      })().finally(() => {
        reloading = undefined;
      });
      return reloading;
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
