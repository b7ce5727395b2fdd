// Starting and stopping managers in integration tests, and reading their metrics.
import type { ControlPlane } from '@tugboat/testenv';
import type { Controller, ControllerDefinition } from '../../src/controller.js';
import { createLogger, isLogLevel, type Logger } from '../../src/log.js';
import { Manager, type ManagerOptions } from '../../src/manager.js';
import { controllerMetrics, createRegistry, type Registry } from '../../src/metrics.js';

/** Test logs stay quiet (tests provoke errors on purpose) unless TEST_LOG=debug|info|warn|error is set. */
export function testLogger(fields: Record<string, unknown> = {}): Logger {
  const level = process.env.TEST_LOG;
  if (!isLogLevel(level)) return createLogger({ level: 'error', fields, write: () => undefined });
  return createLogger({ level, fields });
}

export interface TestManager {
  mgr: Manager;
  controllers: Controller[];
  registry: Registry;
  /** start()'s promise: resolves on stop, rejects if leadership is lost. */
  running: Promise<void>;
  stop(): Promise<void>;
}

export async function startManager(
  cp: ControlPlane,
  defs: ControllerDefinition[],
  opts: Partial<ManagerOptions> & { waitForLeader?: boolean } = {},
): Promise<TestManager> {
  const registry = opts.registry ?? createRegistry();
  const { waitForLeader = true, ...rest } = opts;
  const mgr = await Manager.create({ kubeconfig: cp.kubeconfigPath, registry, handleSignals: false, log: testLogger(), ...rest });
  const controllers = defs.map((d) => mgr.add(d));
  const running = mgr.start();
  // Observed by stop(); this keeps an early rejection from being reported as unhandled.
  running.catch(() => undefined);
  // start() rejecting (caches never sync, lost lease) must fail the caller, not hang it.
  await Promise.race([mgr.synced, running]);
  if (waitForLeader) await Promise.race([mgr.elected, running]);
  return {
    mgr,
    controllers,
    registry,
    running,
    async stop() {
      await mgr.stop();
      await running;
    },
  };
}

/** Requests that change something (POST, PUT, PATCH, DELETE) the manager's client has sent. */
export function writes(registry: Registry): number {
  let n = 0;
  for (const m of registry.expose().matchAll(/^rest_client_requests_total\{code="[^"]*",method="(POST|PUT|PATCH|DELETE)",host="[^"]*"\} (\d+)$/gm)) {
    n += Number(m[2]);
  }
  return n;
}

export function reconciles(registry: Registry, controller: string, result: 'success' | 'error' | 'requeue' | 'requeue_after'): number {
  return controllerMetrics(registry).reconcileTotal.get({ controller, result });
}
