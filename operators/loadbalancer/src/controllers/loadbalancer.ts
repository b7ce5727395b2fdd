// The LoadBalancer controller. Its reconcile is the runbook:
//
//   finalizer   in place before an address is taken; on deletion, release every address
//   address     exactly once, from the IPPool (allocation.ts)
//   class       the LoadBalancerClass settings this LB may run now (rollout gate, rollout.ts)
//   certificates cert-manager Certificates for tls.issuer listeners; wait for their Secrets (certificates.ts)
//   members     static ones, or a Service's ready endpoints (endpoints.ts)
//   render      haproxy.cfg, pure (render/haproxy.ts)
//   apply       ConfigMap, Deployment, PodDisruptionBudget, skipped when unchanged
//   status      addresses, conditions, hashes; written only when it differs
//
// Events that wake it: its LB; its workload objects; agents' reports on its pods; allocations
// of its own (a stray second one is released) and freed addresses of its pool (when it waits
// for one); its pool; its class's new generation or its admission to it; EndpointSlices and Services
// it references; Secrets cert-manager issued for it. Each maps through an index, never a scan.
import {
  ConfigMap,
  Deployment,
  EndpointSlice,
  isUpToDate,
  Pod,
  PodDisruptionBudget,
  Secret,
  Service,
  controller,
  withAppliedHash,
  type ApplyConfiguration,
  type Client,
  type ControllerDefinition,
  type Kind,
  type KubeObject,
  type ReconcileContext,
  type Request,
  type Result,
} from '@tugboat/runtime';
import { IPAllocation } from '../api/ipallocation.js';
import { IPPool } from '../api/ippool.js';
import { LoadBalancer } from '../api/loadbalancer.js';
import { LoadBalancerClass, builtinClassSpec, loadBalancerClassSpecSchema, type LoadBalancerClassSpec } from '../api/loadbalancerclass.js';
import { parseIp } from '../ipam/address.js';
import { parseCidr } from '../ipam/range.js';
import { certificateSecretNames } from '../render/certificates.js';
import { renderHaproxyConfig, type Endpoint, type RenderedConfig, type RuntimeEndpoints } from '../render/haproxy.js';
import { RenderError } from '../render/quote.js';
import type { AgentAccess } from './agentaccess.js';
import type { Allocator } from './allocation.js';
import { lbIndexes, podsByLb, slicesByService, workloadSelector, type FleetCaches } from './caches.js';
import { ensureListenerCertificates } from './certificates.js';
import { serviceEndpoints } from './endpoints.js';
import { computeStatus, type Blocker, type PodReport, type StatusObservation } from './lbstatus.js';
import {
  appliedHashAnnotation,
  childName,
  classGenerationAnnotation,
  classSpecAnnotation,
  lbLabel,
  lbLabelValue,
  rejectedAnnotation,
  releaseFinalizer,
} from './names.js';
import { isAdmitted } from './rollout.js';
import { buildWorkload, certificatePath, podRuntime } from './workload.js';

export interface LoadBalancerControllerOptions {
  caches: FleetCaches;
  allocator: Allocator;
  /** Creates each namespace's agent ServiceAccount and Role, which the pods run as. */
  agentAccess?: AgentAccess | undefined;
  agentImage: string;
  /**
   * `pods`: HAProxy runs in the LB's pods (stats on the cluster-network pod IP only, never on
   * the public Multus interface; runtime socket in the pod). `host`: agents run on this host
   * against local HAProxy (the demo), so each LB's runtime socket lives in
   * `hostRunDir/<namespace>-<name>/` and its stats bind its own address.
   */
  dataPlane: 'pods' | 'host';
  hostRunDir?: string;
  /** Namespace of the NetworkAttachmentDefinitions the operator manages for pools. */
  networkNamespace: string;
  /** Whether pods get the Multus networks annotation (the NetworkAttachmentDefinition CRD exists). */
  multus: boolean;
  concurrency?: number;
}

export const loadBalancerControllerName = 'loadbalancer';

function lbKey(lb: KubeObject): string {
  return `${lb.metadata.namespace ?? ''}/${lb.metadata.name ?? ''}`;
}

/** The pod's prefix length for `address`: the pool's network setting, else its CIDR's, else a host route. */
export function prefixLengthFor(pool: IPPool, address: string): number {
  if (pool.spec.network?.prefixLength !== undefined) return pool.spec.network.prefixLength;
  const ip = parseIp(address);
  for (const block of pool.spec.addresses) {
    const c = parseCidr(block);
    if (c === undefined || ip === undefined || c.family !== ip.family) continue;
    const host = BigInt((c.family === 4 ? 32 : 128) - c.prefix);
    if (ip.value >> host === c.network >> host) return c.prefix;
  }
  return ip?.family === 6 ? 128 : 32;
}

/** Name of the NetworkAttachmentDefinition the operator manages for a pool. */
export function attachmentName(poolName: string): string {
  return poolName;
}

function parseSnapshot(text: string | undefined, current: LoadBalancerClassSpec): LoadBalancerClassSpec | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = loadBalancerClassSpecSchema.safeParse({ ...(JSON.parse(text) as object), rollout: current.rollout });
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function applyTracked<T extends KubeObject>(client: Client, kind: Kind<T>, desired: ApplyConfiguration<T>, cached: T | undefined, fieldManager: string): Promise<T> {
  // The cache holds this kind trimmed (no pod template), so "unchanged" is judged the way the
  // runtime judges metadata-only caches: our labels, annotations and owners, and the hash of
  // what we applied last time (tugboat.dev/applied-hash).
  const withHash = withAppliedHash(desired as unknown as T);
  if (cached !== undefined && isUpToDate(withHash, cached, { metadataOnly: true })) return cached;
  return client.apply(kind, withHash as unknown as ApplyConfiguration<T>, { fieldManager, force: true });
}

function reports(caches: FleetCaches, namespace: string, lbName: string): PodReport[] {
  return caches.pods.store
    .byIndex(podsByLb, `${namespace}/${lbLabelValue(lbName)}`)
    .filter((p) => p.metadata.deletionTimestamp === undefined)
    .map((p) => ({ name: p.metadata.name ?? '', applied: p.metadata.annotations?.[appliedHashAnnotation], rejected: p.metadata.annotations?.[rejectedAnnotation] }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function loadBalancerController(opts: LoadBalancerControllerOptions): ControllerDefinition {
  const { caches, allocator } = opts;
  const lbs = caches.loadBalancers.store;
  const keysOf = (list: readonly LoadBalancer[]): Request[] => list.map((lb) => ({ namespace: lb.metadata.namespace ?? '', name: lb.metadata.name ?? '' }));

  const runtimeFor = (lb: LoadBalancer, address: string): RuntimeEndpoints =>
    opts.dataPlane === 'host'
      ? { adminSocket: `${opts.hostRunDir ?? '/tmp/tugboat-lb'}/${lb.metadata.namespace ?? ''}-${lb.metadata.name ?? ''}/admin.sock`, statsAddress: address }
      : podRuntime;

  async function reconcileLive(lb: LoadBalancer, ctx: ReconcileContext): Promise<Result> {
    const namespace = lb.metadata.namespace ?? '';
    const name = lb.metadata.name ?? '';
    const generation = lb.metadata.generation ?? 0;
    const now = new Date().toISOString();
    const observation: StatusObservation = { generation, previous: lb.status, now, warnings: [], replicas: lb.spec.replicas, pods: [] };
    const block = async (blocker: Blocker, address?: string): Promise<Result> => {
      if (lb.status?.conditions?.find((c) => c.type === 'Ready')?.reason !== blocker.reason) ctx.recorder.warning(lb, blocker.reason, blocker.message);
      await ctx.applyStatus(lb, computeStatus({ ...observation, blocker, address }));
      return undefined;
    };

    const pool = await ctx.get(IPPool, { name: lb.spec.ipPool });
    if (pool === undefined) {
      return block({ reason: 'PoolNotFound', message: `IPPool "${lb.spec.ipPool}" does not exist; create it or set spec.ipPool to an existing pool (kubectl get ippools)` });
    }
    const alloc = await allocator.ensure(lb, pool);
    if (!alloc.ok) {
      // Someone else won every address tried; the cache catches up within moments.
      if (alloc.reason === 'Contended') return { requeueAfter: 200 + Math.floor(Math.random() * 300) };
      return block({ reason: alloc.reason, message: alloc.message });
    }
    const address = alloc.address;
    if (alloc.created) ctx.recorder.normal(lb, 'AddressAllocated', `allocated ${address} from IPPool ${lb.spec.ipPool}`, 'Allocate');
    if (alloc.released > 0) ctx.recorder.normal(lb, 'AddressReleased', `released ${alloc.released} extra address(es) from IPPool ${lb.spec.ipPool}`, 'Release');

    const cls = await ctx.get(LoadBalancerClass, { name: lb.spec.className });
    if (cls === undefined && lb.spec.className !== 'default') {
      return block({ reason: 'ClassNotFound', message: `LoadBalancerClass "${lb.spec.className}" does not exist; create it or set spec.className to an existing class` }, address);
    }
    const currentSpec = cls?.spec ?? builtinClassSpec;
    const currentGeneration = cls?.metadata.generation ?? 0;
    const deploymentName = childName(name, 'haproxy');
    const deployed = caches.deployments.store.get(`${namespace}/${deploymentName}`);
    const deployedGenText = deployed?.metadata.annotations?.[classGenerationAnnotation];
    let classSpec = currentSpec;
    let classGeneration = currentGeneration;
    if (deployed !== undefined && deployedGenText !== undefined && Number(deployedGenText) !== currentGeneration && !isAdmitted(cls?.status?.rollout, currentGeneration, lbKey(lb))) {
      const snapshot = parseSnapshot(deployed.metadata.annotations?.[classSpecAnnotation], currentSpec);
      if (snapshot !== undefined) {
        classSpec = snapshot;
        classGeneration = Number(deployedGenText);
        observation.queuedBehind = { className: lb.spec.className, generation: currentGeneration };
      }
    }

    const certificates = await ensureListenerCertificates(ctx, lb, caches.issuedSecrets.store);
    if (!certificates.ok) {
      await block(certificates.blocker, address);
      return { requeueAfter: certificates.retryAfterMs };
    }

    const endpoints: Record<string, Endpoint[]> = {};
    const warnings: string[] = [];
    lb.spec.pools.forEach((p, i) => {
      if (p.serviceRef === undefined) return;
      const ref = `${namespace}/${p.serviceRef.name}`;
      const r = serviceEndpoints(caches.services.store.get(ref), caches.slices.store.byIndex(slicesByService, ref), p.serviceRef.port, ref);
      if (r.ok) {
        endpoints[p.name] = r.endpoints;
        if (r.endpoints.length === 0) warnings.push(`spec.pools[${i}].serviceRef: Service ${ref} has no ready endpoints, so pool "${p.name}" has no members`);
      } else {
        endpoints[p.name] = [];
        warnings.push(`spec.pools[${i}].serviceRef: ${r.message}`);
      }
    });
    observation.warnings = warnings;

    const certificatePaths = Object.fromEntries(certificateSecretNames(name, lb.spec).map((s) => [s, certificatePath(s)]));
    let config: RenderedConfig;
    try {
      config = renderHaproxyConfig({ namespace, name, spec: lb.spec, classSpec, bindAddresses: [address], endpoints, certificatePaths, runtime: runtimeFor(lb, address) });
    } catch (e) {
      if (!(e instanceof RenderError)) throw e;
      return block({ reason: 'InvalidSpec', message: `the spec cannot be turned into an HAProxy configuration: ${e.problems.join('; ')}` }, address);
    }

    const network = pool.spec.network;
    const attachment =
      !opts.multus || network === undefined
        ? undefined
        : network.attachmentRef !== undefined
          ? { name: network.attachmentRef.name, namespace: network.attachmentRef.namespace }
          : { name: attachmentName(pool.metadata.name ?? ''), namespace: opts.networkNamespace };
    const workload = buildWorkload({
      lb: { name, namespace, uid: lb.metadata.uid ?? '', spec: lb.spec },
      className: lb.spec.className,
      classGeneration,
      classSpec,
      address,
      prefixLength: prefixLengthFor(pool, address),
      attachment,
      config,
      agentImage: classSpec.agentImage ?? opts.agentImage,
    });
    await opts.agentAccess?.ensure(namespace);
    await ctx.apply([workload.configMap, workload.podDisruptionBudget] as unknown as KubeObject[]);
    const deployment = await applyTracked(ctx.client, Deployment, workload.deployment, deployed, ctx.fieldManager);

    const status = computeStatus({
      ...observation,
      address,
      configHash: config.hash,
      classGeneration,
      deployment,
      pods: reports(caches, namespace, name),
    });
    await ctx.applyStatus(lb, status);
    return undefined;
  }

  const enqueueOwner = (a: IPAllocation): Request => ({ namespace: a.spec.owner.namespace, name: a.spec.owner.name });

  return controller(loadBalancerControllerName)
    .for(LoadBalancer)
    .owns(ConfigMap, { metadataOnly: true })
    .owns(PodDisruptionBudget, { metadataOnly: true })
    .owns(Deployment, { labelSelector: workloadSelector })
    .watches(Pod, (p) => keysOf(lbs.byIndex(lbIndexes.byLabel, `${p.metadata.namespace ?? ''}/${p.metadata.labels?.['lb.tugboat.dev/loadbalancer'] ?? ''}`)), {
      labelSelector: workloadSelector,
      metadataOnly: true,
    })
    .watches(IPAllocation, enqueueOwner)
    .watches(IPPool, (p) => keysOf(lbs.byIndex(lbIndexes.byPool, p.metadata.name ?? '')))
    .watches(EndpointSlice, (s) => keysOf(lbs.byIndex(lbIndexes.byService, `${s.metadata.namespace ?? ''}/${s.metadata.labels?.['kubernetes.io/service-name'] ?? ''}`)))
    .watches(Service, (s) => keysOf(lbs.byIndex(lbIndexes.byService, `${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`)))
    .watches(Secret, (s) => keysOf(lbs.byIndex(lbIndexes.byLabel, `${s.metadata.namespace ?? ''}/${s.metadata.labels?.[lbLabel] ?? ''}`)), { labelSelector: lbLabel, metadataOnly: true })
    .withConcurrency(opts.concurrency ?? 8)
    .reconcile(async (req, ctx) => {
      const lb = await ctx.get(LoadBalancer, req);
      if (lb === undefined) return undefined;
      return ctx.finalize(lb, releaseFinalizer, {
        apply: (current) => reconcileLive(current, ctx),
        cleanup: async (gone) => {
          const n = await allocator.release(gone.metadata.uid ?? '');
          if (n > 0) ctx.recorder.normal(gone, 'AddressReleased', `released ${n} address(es) to IPPool ${gone.spec.ipPool}`, 'Release');
        },
      });
    });
}

/** LBs to wake when the class changes: all on a new generation, else those whose admission changed. */
export function classChangeTargets(lbs: FleetCaches['loadBalancers']['store'], old: LoadBalancerClass | undefined, next: LoadBalancerClass): string[] {
  const name = next.metadata.name ?? '';
  const generation = next.metadata.generation ?? 0;
  if (old === undefined || old.metadata.generation !== generation) return lbs.byIndex(lbIndexes.byClass, name).map(lbKey);
  const a = old.status?.rollout;
  const b = next.status?.rollout;
  // Most status writes only move counts; the class's LBs are scanned only when the cursor moves.
  if (a?.generation === b?.generation && a?.admittedThrough === b?.admittedThrough) return [];
  return lbs
    .byIndex(lbIndexes.byClass, name)
    .map(lbKey)
    .filter((k) => isAdmitted(a, generation, k) !== isAdmitted(b, generation, k));
}

/** LBs waiting for an address in `pool`: woken when an address of the pool is freed. */
export function waitingFor(lbs: FleetCaches['loadBalancers']['store'], pool: string): string[] {
  return lbs.byIndex(lbIndexes.waitingOnPool, pool).map(lbKey);
}
