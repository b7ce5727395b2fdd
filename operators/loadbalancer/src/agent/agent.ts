// tugboat-lb-agent's core: receive configuration bundles, refuse bad ones, apply good ones in
// the least disruptive way, and say what is applied.
//
//   snapshot ─▶ hash equal to applied? ─▶ done
//            ─▶ write to candidate/, `haproxy -c` ─▶ refused: keep serving, report `rejected`
//            ─▶ install into live/ ─▶ nothing running: start HAProxy
//                                  ─▶ only server address/weight/state changed: runtime API,
//                                     verified with `show servers state`; else fall back to ↓
//                                  ─▶ anything else: reload through the master CLI; if HAProxy
//                                     refuses, put the previous files back and report
//
// Snapshots are applied one at a time; while one applies, only the newest waiting one is kept
// (a burst of ten updates costs at most two applies). The live files always equal what HAProxy
// runs, so any later reload starts from the truth, including runtime-applied server changes.
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRegistry, type Registry } from '@tugboat/runtime/metrics';
import { configHash } from '../render/hash.js';
import { cliCommand } from './cli.js';
import { checkConfig, startHaproxy, type HaproxyProcess } from './haproxy.js';
import { agentMetrics } from './metrics.js';
import { mainConfigFile, planUpdate, type ConfigFiles, type ServerChange } from './plan.js';
import { parseConfig, parseServersState, serverKey } from './servers.js';
import type { ConfigSnapshot, ConfigSource, SourceState } from './source.js';
import { truncateReason, writeStatusFile, type AgentStatus, type ApplyMethod } from './status.js';

export interface AgentOptions {
  source: ConfigSource;
  /** Holds candidate/ (being checked), live/ (what HAProxy runs) and the master socket. */
  workDir: string;
  haproxyBinary?: string;
  /** Default <workDir>/master.sock. */
  masterSocket?: string;
  /** Also write the status here as JSON after every change. */
  statusFile?: string;
  onStatus?: (status: AgentStatus) => void;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  registry?: Registry;
}

export interface Agent {
  status(): AgentStatus;
  /** The running HAProxy, once a configuration has been applied. */
  haproxy(): HaproxyProcess | undefined;
  readonly registry: Registry;
  /** Resolves when the agent has stopped (after stop(), or when HAProxy died: phase Failed). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

const safeFileName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

async function writeBundle(dir: string, files: ConfigFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    if (!safeFileName.test(name)) throw new Error(`refusing file name ${JSON.stringify(name)} in the configuration`);
    const tmp = join(dir, `.${name}.tmp`);
    await writeFile(tmp, content);
    await rename(tmp, join(dir, name));
  }
  for (const name of await readdir(dir)) {
    if (!name.startsWith('.') && files[name] === undefined) await rm(join(dir, name), { force: true });
  }
}

export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const log = opts.log ?? (() => {});
  const registry = opts.registry ?? createRegistry();
  const metrics = agentMetrics(registry);
  const candidateDir = join(opts.workDir, 'candidate');
  const liveDir = join(opts.workDir, 'live');
  const masterSocket = opts.masterSocket ?? join(opts.workDir, 'master.sock');
  await mkdir(opts.workDir, { recursive: true });
  // A fresh start: whatever live/ held belonged to an HAProxy that is gone with the old agent.
  await rm(liveDir, { recursive: true, force: true });

  const status: AgentStatus = { phase: 'WaitingForConfig', reloads: 0, runtimeUpdates: 0 };
  let live: ConfigFiles = {};
  let haproxy: HaproxyProcess | undefined;
  let pending: ConfigSnapshot | undefined;
  let working: Promise<void> | undefined;
  const abort = new AbortController();
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => (resolveDone = r));

  // Status files are written one after another: a source change can report while an apply
  // does, and two writers would share the temporary file.
  let writing: Promise<void> = Promise.resolve();
  const report = async () => {
    const copy = structuredClone(status);
    opts.onStatus?.(copy);
    const path = opts.statusFile;
    if (path === undefined) return;
    writing = writing.then(() => writeStatusFile(path, copy).catch((err: unknown) => log('cannot write status file', { error: String(err) })));
    await writing;
  };

  const markApplied = (hash: string, method: ApplyMethod, startedAt: number) => {
    if (status.appliedHash !== undefined) metrics.applied.remove({ hash: status.appliedHash });
    metrics.applied.set({ hash }, 1);
    metrics.applies.inc({ method });
    metrics.lastApply.set({}, Date.now() / 1000);
    metrics.applyDuration.observe({ method }, (performance.now() - startedAt) / 1000);
    metrics.configRejected.set({}, 0);
    status.appliedHash = hash;
    status.appliedAt = new Date().toISOString();
    status.lastMethod = method;
    status.phase = 'Running';
    delete status.rejected;
    delete status.message;
  };

  const reject = (hash: string, reason: string) => {
    metrics.rejected.inc({});
    metrics.configRejected.set({}, 1);
    status.rejected = { hash, at: new Date().toISOString(), reason: truncateReason(reason) };
    log('configuration refused; the previous one keeps serving', { hash, reason: status.rejected.reason });
  };

  const watchExit = (proc: HaproxyProcess) => {
    void proc.exited.then((code) => {
      if (haproxy !== proc) return;
      haproxy = undefined;
      metrics.haproxyUp.set({}, 0);
      if (abort.signal.aborted) return;
      // Crash-only: without HAProxy the pod serves nothing; exit so the kubelet restarts it.
      status.phase = 'Failed';
      status.message = `HAProxy master exited with ${code}`;
      log(status.message);
      void report().then(() => {
        abort.abort();
        resolveDone();
      });
    });
  };

  /** Sends the runtime commands, then checks HAProxy's view of every changed server. */
  const applyRuntime = async (files: ConfigFiles, changes: ServerChange[], commands: string[]): Promise<string | undefined> => {
    const socket = parseConfig(files[mainConfigFile] ?? '').adminSocket;
    if (socket === undefined) return 'the configuration has no stats socket';
    for (const command of commands) {
      metrics.runtimeCommands.inc({});
      const answer = (await cliCommand(socket, command)).trim();
      // Successful `set server` commands answer nothing or a short "changed from" note.
      if (/^(No such|Unknown|Invalid|Require|Error|Can't|Cannot)/i.test(answer)) return `"${command}": ${answer}`;
    }
    const backends = [...new Set(changes.map((c) => c.to.backend))];
    for (const be of backends) {
      const state = parseServersState(await cliCommand(socket, `show servers state ${be}`));
      for (const { to } of changes.filter((c) => c.to.backend === be)) {
        const got = state.get(serverKey(to.backend, to.name));
        if (got === undefined) return `server ${serverKey(to.backend, to.name)} is missing from show servers state`;
        const addressOk = to.disabled || (got.address === to.address && got.port === to.port);
        if (!addressOk || got.disabled !== to.disabled || (!to.disabled && got.weight !== to.weight)) {
          return `server ${serverKey(to.backend, to.name)} is ${JSON.stringify(got)} after the update, expected ${JSON.stringify(to)}`;
        }
      }
    }
    return undefined;
  };

  const reload = async (reason: string): Promise<string | undefined> => {
    if (haproxy === undefined) return 'HAProxy is not running';
    try {
      const table = await haproxy.reload();
      status.reloads += 1;
      status.lastReloadReason = reason;
      log('reloaded', { reason, workers: table.workers.map((w) => w.pid) });
      return undefined;
    } catch (err) {
      metrics.reloadFailures.inc({});
      return (err as Error).message;
    }
  };

  const apply = async (snapshot: ConfigSnapshot): Promise<void> => {
    const startedAt = performance.now();
    const files = snapshot.files;
    const hash = configHash(files);
    if (hash === status.appliedHash) {
      if (status.rejected !== undefined) {
        delete status.rejected;
        metrics.configRejected.set({}, 0);
        await report();
      }
      return;
    }
    if (status.rejected?.hash === hash) return;
    await rm(candidateDir, { recursive: true, force: true });
    await writeBundle(candidateDir, files);
    const check = await checkConfig(candidateDir, opts.haproxyBinary);
    if (!check.ok) {
      reject(hash, `haproxy -c: ${check.output}`);
      await report();
      return;
    }
    if (haproxy === undefined) {
      await writeBundle(liveDir, files);
      try {
        haproxy = await startHaproxy(join(liveDir, mainConfigFile), { binary: opts.haproxyBinary, masterSocket, onOutput: (line) => log(`haproxy: ${line}`) });
      } catch (err) {
        reject(hash, `starting HAProxy: ${(err as Error).message}`);
        await report();
        return;
      }
      live = files;
      watchExit(haproxy);
      metrics.haproxyUp.set({}, 1);
      status.haproxyMasterPid = haproxy.pid;
      markApplied(hash, 'start', startedAt);
      log('HAProxy started', { hash, origin: snapshot.origin });
      await report();
      return;
    }
    const plan = planUpdate(live, files);
    const previous = live;
    await writeBundle(liveDir, files);
    live = files;
    if (plan.kind === 'runtime') {
      const problem = await applyRuntime(files, plan.changes, plan.commands).catch((err: unknown) => (err as Error).message);
      if (problem === undefined) {
        status.runtimeUpdates += 1;
        markApplied(hash, 'runtime', startedAt);
        log('servers updated without reload', { hash, servers: plan.changes.map((c) => serverKey(c.to.backend, c.to.name)) });
        await report();
        return;
      }
      metrics.runtimeFallbacks.inc({});
      log('runtime update did not take; reloading instead', { problem });
    }
    const reason = plan.kind === 'reload' ? plan.reason : plan.kind === 'runtime' ? 'runtime update fallback' : 'files rewritten';
    const failure = await reload(reason);
    if (failure === undefined) {
      markApplied(hash, 'reload', startedAt);
      await report();
      return;
    }
    // HAProxy kept the old workers; put the old files back so the next reload starts from them.
    await writeBundle(liveDir, previous);
    live = previous;
    reject(hash, `reload: ${failure}`);
    await report();
  };

  const pump = () => {
    if (working !== undefined) return;
    working = (async () => {
      while (pending !== undefined && !abort.signal.aborted) {
        const next = pending;
        pending = undefined;
        try {
          await apply(next);
        } catch (err) {
          // An unexpected error (disk, socket): report it and wait for the next snapshot.
          status.message = `applying ${next.origin} failed: ${(err as Error).message}`;
          log(status.message);
          await report();
        }
      }
    })().finally(() => {
      working = undefined;
    });
  };

  const onSourceState = (next: SourceState) => {
    const previous = status.source;
    status.source = next;
    if (previous !== undefined && previous.active !== next.active) metrics.sourceSwitches.inc({ to: next.active });
    metrics.configSource.set({ source: next.active }, 1);
    metrics.configSource.set({ source: next.active === 'api' ? 'file' : 'api' }, 0);
    if (next.api !== undefined) metrics.apiConnected.set({}, next.api === 'connected' ? 1 : 0);
    metrics.fileHeldBack.set({}, next.heldBack !== undefined ? 1 : 0);
    if (previous?.active !== next.active || previous.api !== next.api || previous.heldBack?.hash !== next.heldBack?.hash) {
      log('configuration source', { ...next });
    }
    void report();
  };

  const sourceDone = opts.source
    .run(
      (snapshot) => {
        pending = snapshot;
        pump();
      },
      abort.signal,
      onSourceState,
    )
    .catch((err: unknown) => {
      status.phase = 'Failed';
      status.message = `configuration source failed: ${(err as Error).message}`;
      log(status.message);
      void report();
    });
  await report();

  const agent: Agent = {
    status: () => structuredClone(status),
    haproxy: () => haproxy,
    registry,
    done,
    async stop() {
      abort.abort();
      await sourceDone;
      await working;
      const proc = haproxy;
      haproxy = undefined;
      await proc?.stop();
      metrics.haproxyUp.set({}, 0);
      status.phase = 'Stopped';
      await report();
      resolveDone();
    },
  };
  return agent;
}
