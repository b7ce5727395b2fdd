// The operator as one unit: a Manager (leader election, probes, metrics), the shared fleet
// caches, the three controllers and the validating webhook. main.ts runs it as a process;
// tests start it in-process against a testenv control plane and stop it in after().
import {
  CustomResourceDefinition,
  Manager,
  createLogger,
  createRegistry,
  createWebhookServer,
  isNotFound,
  secretCertStore,
  type Client,
  type Controller,
  type Logger,
  type Registry,
  type WebhookServer,
} from '@tugboat/runtime';
import { IPAllocation } from '../api/ipallocation.js';
import { IPPool } from '../api/ippool.js';
import { LoadBalancer } from '../api/loadbalancer.js';
import { LoadBalancerClass } from '../api/loadbalancerclass.js';
import { registerValidation } from '../webhook/validation.js';
import { agentAccess } from './agentaccess.js';
import { CertManagerCertificate } from './certificates.js';
import { createAllocator } from './allocation.js';
import { fleetCaches, type FleetCaches } from './caches.js';
import { ipPoolController } from './ippool.js';
import { classChangeTargets, loadBalancerController, waitingFor } from './loadbalancer.js';
import { loadBalancerClassController } from './loadbalancerclass.js';
import { NetworkAttachmentDefinition, networkAttachmentDefinitionCrd } from './networkattachment.js';

export interface OperatorOptions {
  kubeconfig?: string;
  /** Use this client (tests); the operator then leaves it open on stop(). */
  client?: Client;
  /** Namespace of the leader-election Lease, the webhook CA Secret and managed NetworkAttachmentDefinitions. */
  namespace: string;
  /** Hold this Lease to reconcile. Default: on, id `tugboat-lb`. */
  leaderElection?: false | { id?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  metricsPort?: number;
  healthPort?: number;
  bindAddress?: string;
  /** Serve the validating webhook and register it with the apiserver. Default: off. */
  webhook?: { port: number; host?: string; url?: string };
  agentImage?: string;
  dataPlane?: 'pods' | 'host';
  hostRunDir?: string;
  /** Manage NetworkAttachmentDefinitions and the Multus pod annotation. Default: when the CRD exists. */
  multus?: boolean;
  concurrency?: number;
  log?: Logger;
  registry?: Registry;
  identity?: string;
  gracefulShutdownMs?: number;
  handleSignals?: boolean;
  qps?: number;
  burst?: number;
}

export interface Operator {
  manager: Manager;
  caches: FleetCaches;
  controllers: { loadBalancer: Controller; ipPool: Controller; loadBalancerClass: Controller };
  webhook: WebhookServer | undefined;
  /** Resolves when the manager stops (rejects if leadership is lost). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export const defaultAgentImage = 'ghcr.io/tugboat/lb-agent:0.1.0';

async function crdExists(client: Client, name: string): Promise<boolean> {
  try {
    await client.get(CustomResourceDefinition, { name });
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

export async function startOperator(opts: OperatorOptions): Promise<Operator> {
  const log = opts.log ?? createLogger();
  const registry = opts.registry ?? createRegistry();
  const manager = await Manager.create({
    ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
    ...(opts.client !== undefined ? { client: opts.client } : {}),
    ...(opts.leaderElection !== false ? { leaderElection: { id: 'tugboat-lb', namespace: opts.namespace, ...opts.leaderElection } } : {}),
    ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}),
    ...(opts.healthPort !== undefined ? { healthPort: opts.healthPort } : {}),
    ...(opts.bindAddress !== undefined ? { bindAddress: opts.bindAddress } : {}),
    ...(opts.identity !== undefined ? { identity: opts.identity } : {}),
    ...(opts.gracefulShutdownMs !== undefined ? { gracefulShutdownMs: opts.gracefulShutdownMs } : {}),
    ...(opts.qps !== undefined ? { qps: opts.qps } : {}),
    ...(opts.burst !== undefined ? { burst: opts.burst } : {}),
    handleSignals: opts.handleSignals ?? false,
    kinds: [LoadBalancer, IPPool, LoadBalancerClass, IPAllocation, NetworkAttachmentDefinition, CertManagerCertificate],
    log,
    registry,
  });
  const client = manager.client;
  const multus = opts.multus ?? (await crdExists(client, networkAttachmentDefinitionCrd.metadata.name ?? ''));
  const caches = fleetCaches(manager.cache);
  const fieldManager = 'tugboat-loadbalancer';
  const allocator = createAllocator({ client, store: caches.allocations.store, fieldManager: 'tugboat-ipam' });
  const dataPlane = opts.dataPlane ?? 'pods';

  const loadBalancer = manager.add(
    loadBalancerController({
      caches,
      allocator,
      agentAccess: agentAccess(client, fieldManager),
      agentImage: opts.agentImage ?? defaultAgentImage,
      dataPlane,
      ...(opts.hostRunDir !== undefined ? { hostRunDir: opts.hostRunDir } : {}),
      networkNamespace: opts.namespace,
      multus,
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    }),
  );
  const ipPool = manager.add(ipPoolController({ caches, networkNamespace: opts.namespace, multus }));
  const loadBalancerClass = manager.add(loadBalancerClassController({ caches }));

  // Wake-ups the controller builder cannot express, because they depend on the kind of event:
  // a freed address wakes the LBs waiting in its pool; a class change wakes either all its LBs
  // (new generation) or only those entering or leaving a rollout batch.
  caches.allocations.on('delete', (a) => {
    for (const key of waitingFor(caches.loadBalancers.store, a.spec.pool)) loadBalancer.enqueue(key);
  });
  const classes = manager.cache.informerFor(LoadBalancerClass);
  classes.addHandler({
    onAdd: (c) => {
      for (const key of classChangeTargets(caches.loadBalancers.store, undefined, c)) loadBalancer.enqueue(key);
    },
    onUpdate: (old, c) => {
      for (const key of classChangeTargets(caches.loadBalancers.store, old, c)) loadBalancer.enqueue(key);
    },
    onDelete: (c) => {
      for (const key of classChangeTargets(caches.loadBalancers.store, undefined, c)) loadBalancer.enqueue(key);
    },
  });

  let webhook: WebhookServer | undefined;
  if (opts.webhook !== undefined) {
    const host = opts.webhook.host ?? '127.0.0.1';
    webhook = createWebhookServer({
      host,
      port: opts.webhook.port,
      certificates: {
        ipAddresses: [host === '0.0.0.0' ? '127.0.0.1' : host],
        dnsNames: ['localhost'],
        store: secretCertStore(client, { namespace: opts.namespace, name: 'tugboat-lb-webhook-tls' }),
      },
      install: { client, name: 'tugboat-lb', ...(opts.webhook.url !== undefined ? { endpoint: { url: opts.webhook.url } } : {}) },
      registry,
      onError: (err) => log.error('webhook', { err }),
    });
    registerValidation(webhook, client);
    await webhook.start();
  }

  const done = manager.start();
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await manager.stop();
      await done.catch(() => undefined);
      await webhook?.stop();
    })());
  return { manager, caches, controllers: { loadBalancer, ipPool, loadBalancerClass }, webhook, done, stop };
}
