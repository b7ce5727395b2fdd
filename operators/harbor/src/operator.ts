// The Harbor operator as one startable unit: a Manager (shared client and cache, leader
// election, /healthz /readyz /metrics) running the Registry, PostgresServer and ObjectStore
// controllers, and the admission webhook server. main.ts runs it as a process; tests run it
// in-process and stop it in after().
import {
  CustomResourceDefinition,
  Manager,
  createRegistry,
  type Client,
  type Controller,
  type Endpoint,
  type Logger,
  type Registry as MetricsRegistry,
  type WebhookServer,
} from '@tugboat/runtime';
import { ObjectStore } from './api/object-store.js';
import { PostgresServer } from './api/postgres-server.js';
import { Registry } from './api/registry.js';
import { Certificate } from './controllers/certificate-kind.js';
import { objectStoreController } from './controllers/object-store-controller.js';
import { postgresServerController } from './controllers/postgres-server-controller.js';
import { registryController } from './controllers/registry-controller.js';
import type { HarborSecrets } from './render/secrets.js';
import { harborWebhookServer } from './webhook/server.js';

export const harborKinds = [Registry, PostgresServer, ObjectStore] as const;

export interface HarborOperatorOptions {
  /** Path to a kubeconfig; default $KUBECONFIG, else in-cluster. */
  kubeconfig?: string;
  /** Lease to hold while reconciling; false runs without election (a single replica, tests). */
  leaderElection?: { id?: string; namespace?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number } | false;
  metricsPort?: number;
  healthPort?: number;
  bindAddress?: string;
  /** Serve the validating webhooks (and install their configuration); false for none. */
  webhook?:
    | {
        port?: number;
        host?: string;
        endpoint?: Endpoint;
        dnsNames?: string[];
        ipAddresses?: string[];
        certSecret?: { namespace: string; name: string };
      }
    | false;
  /** Apply the three CRDs at start (server-side apply) and wait until they are served. */
  installCRDs?: boolean;
  /** The operator runs in the cluster and can reach Services by DNS name. Default: $KUBERNETES_SERVICE_HOST is set. */
  inCluster?: boolean;
  probeIntervalMs?: number;
  retryIntervalMs?: number;
  /** Registries reconciled at once. */
  concurrency?: number;
  generateSecrets?: () => Promise<HarborSecrets>;
  log?: Logger;
  /** Metrics registry; default a fresh one per operator, so two operators in one process do not share counters. */
  registry?: MetricsRegistry;
  handleSignals?: boolean;
  gracefulShutdownMs?: number;
}

export interface HarborOperator {
  readonly manager: Manager;
  readonly webhook: WebhookServer | undefined;
  readonly controllers: { registry: Controller; postgresServer: Controller; objectStore: Controller };
  /** Resolves when the manager has stopped; rejects if it lost its leadership. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** Applies the Registry, PostgresServer and ObjectStore CRDs and waits until the apiserver serves them. */
export async function installHarborCRDs(client: Client): Promise<void> {
  for (const kind of harborKinds) {
    const crd = kind.crd();
    await client.apply(CustomResourceDefinition, { ...crd, metadata: { ...crd.metadata, name: kind.crdName } }, { fieldManager: 'tugboat-harbor-operator', force: true });
  }
  const deadline = Date.now() + 60_000;
  for (const kind of harborKinds) {
    for (;;) {
      const crd = await client.get(CustomResourceDefinition, { name: kind.crdName });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${kind.crdName} was not established within 60s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function startHarborOperator(opts: HarborOperatorOptions = {}): Promise<HarborOperator> {
  const registry = opts.registry ?? createRegistry();
  const manager = await Manager.create({
    ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
    ...(opts.leaderElection !== false
      ? { leaderElection: { id: opts.leaderElection?.id ?? 'tugboat-harbor-operator', ...opts.leaderElection } }
      : {}),
    ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}),
    ...(opts.healthPort !== undefined ? { healthPort: opts.healthPort } : {}),
    ...(opts.bindAddress !== undefined ? { bindAddress: opts.bindAddress } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.gracefulShutdownMs !== undefined ? { gracefulShutdownMs: opts.gracefulShutdownMs } : {}),
    handleSignals: opts.handleSignals ?? false,
    registry,
    kinds: [Certificate],
  });
  if (opts.installCRDs) await installHarborCRDs(manager.client);

  const inCluster = opts.inCluster ?? process.env['KUBERNETES_SERVICE_HOST'] !== undefined;
  const registryCtl = manager.add(
    registryController(manager.cache, {
      inCluster,
      ...(opts.probeIntervalMs !== undefined ? { probeIntervalMs: opts.probeIntervalMs } : {}),
      ...(opts.retryIntervalMs !== undefined ? { retryIntervalMs: opts.retryIntervalMs } : {}),
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
      ...(opts.generateSecrets ? { generateSecrets: opts.generateSecrets } : {}),
    }),
  );
  const postgresServerCtl = manager.add(postgresServerController(manager.cache, opts.probeIntervalMs !== undefined ? { probeIntervalMs: opts.probeIntervalMs } : {}));
  const objectStoreCtl = manager.add(objectStoreController(manager.cache, opts.probeIntervalMs !== undefined ? { probeIntervalMs: opts.probeIntervalMs } : {}));

  let webhook: WebhookServer | undefined;
  if (opts.webhook !== false && opts.webhook !== undefined) {
    const w = opts.webhook;
    webhook = harborWebhookServer({
      client: manager.client,
      ...(w.host !== undefined ? { host: w.host } : {}),
      ...(w.port !== undefined ? { port: w.port } : {}),
      ...(w.endpoint ? { endpoint: w.endpoint } : {}),
      ...(w.dnsNames ? { dnsNames: w.dnsNames } : {}),
      ...(w.ipAddresses ? { ipAddresses: w.ipAddresses } : {}),
      ...(w.certSecret ? { certSecret: w.certSecret } : {}),
      registry,
      onError: (err) => manager.log.error('webhook server error', { err }),
    });
    await webhook.start();
  }

  const done = manager.start();
  // A rejected `done` (lost leadership) is the caller's to handle; keep it from being unhandled meanwhile.
  done.catch(() => undefined);
  let stopping: Promise<void> | undefined;
  return {
    manager,
    webhook,
    controllers: { registry: registryCtl, postgresServer: postgresServerCtl, objectStore: objectStoreCtl },
    done,
    stop() {
      stopping ??= (async () => {
        await manager.stop();
        await webhook?.stop();
      })();
      return stopping;
    },
  };
}
