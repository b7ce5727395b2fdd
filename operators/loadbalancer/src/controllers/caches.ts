// The operator's view of the cluster, shaped for fleets. Every informer here is shared through
// the manager's cache (controllers that watch the same kind with the same selector reuse it),
// and each holds only what a reconcile reads:
//
//   LoadBalancer, IPPool, LoadBalancerClass, IPAllocation   whole objects (ours, small)
//   Deployment (LB ones, by label)   metadata + replicas + status: readiness, class generation,
//                                     applied hash. The pod template is never read back.
//   Pod (LB ones, by label)           metadata only: the agents' reports are annotations
//   ConfigMap, PodDisruptionBudget    metadata only (declared by the controller's owns())
//   EndpointSlice                     addresses, readiness and ports; no topology, no targetRefs
//   Service                           ports only
//   Secret (cert-manager issued, by the LB label)   metadata only: whether it exists
//
// Indexes answer the fan-in questions without scans: which LBs use this pool / class /
// Service, which LBs wait for an address in a pool, which pods belong to an LB.
import {
  Deployment,
  EndpointSlice,
  Pod,
  Secret,
  Service,
  stripManagedFields,
  type Cache,
  type Informer,
  type PartialObjectMetadata,
} from '@tugboat/runtime';
import { IPAllocation } from '../api/ipallocation.js';
import { LoadBalancer } from '../api/loadbalancer.js';
import { indexAllocations } from './allocation.js';
import { serviceNameLabel } from './endpoints.js';
import { lbLabel, lbLabelValue } from './names.js';

/** Label selector of the objects the operator runs for load balancers. */
export const workloadSelector = `app.kubernetes.io/name=tugboat-loadbalancer,app.kubernetes.io/component=haproxy`;

export const lbIndexes = {
  /** spec.ipPool */
  byPool: 'lb.tugboat.dev/by-pool',
  /** spec.ipPool of LBs that hold no address yet (they wait for one). */
  waitingOnPool: 'lb.tugboat.dev/waiting-on-pool',
  /** spec.className */
  byClass: 'lb.tugboat.dev/by-class',
  /** namespace/service of every serviceRef */
  byService: 'lb.tugboat.dev/by-service',
  /** namespace/label value, the key pods and Deployments carry */
  byLabel: 'lb.tugboat.dev/by-label',
} as const;

export const podsByLb = 'lb.tugboat.dev/pods-by-lb';
export const slicesByService = 'lb.tugboat.dev/slices-by-service';

export interface FleetCaches {
  loadBalancers: Informer<LoadBalancer>;
  allocations: Informer<IPAllocation>;
  deployments: Informer<Deployment>;
  pods: Informer<PartialObjectMetadata>;
  slices: Informer<EndpointSlice>;
  services: Informer<Service>;
  /** Secrets carrying the LB label: those cert-manager issued for tls.issuer listeners. */
  issuedSecrets: Informer<PartialObjectMetadata>;
}

function trimDeployment(d: Deployment): Deployment {
  const { metadata } = stripManagedFields(d);
  const out: Deployment = { apiVersion: d.apiVersion, kind: d.kind, metadata };
  const replicas = d.spec?.replicas;
  // The controller reads replicas and status; `selector` and `template` stay out of memory.
  if (replicas !== undefined) out.spec = { replicas } as Deployment['spec'];
  if (d.status) {
    const { conditions: _conditions, ...status } = d.status;
    out.status = status;
  }
  return out;
}

function trimSlice(s: EndpointSlice): EndpointSlice {
  const { metadata } = stripManagedFields(s);
  const out: EndpointSlice = {
    apiVersion: s.apiVersion,
    kind: s.kind,
    metadata: { name: metadata.name, namespace: metadata.namespace, uid: metadata.uid, resourceVersion: metadata.resourceVersion, labels: metadata.labels },
    addressType: s.addressType,
    endpoints: (s.endpoints ?? []).map((e) => ({ addresses: e.addresses, ...(e.conditions?.ready !== undefined ? { conditions: { ready: e.conditions.ready } } : {}) })),
  };
  if (s.ports) out.ports = s.ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), ...(p.port !== undefined ? { port: p.port } : {}) }));
  return out;
}

function trimService(s: Service): Service {
  const { metadata } = stripManagedFields(s);
  return {
    apiVersion: s.apiVersion,
    kind: s.kind,
    metadata: { name: metadata.name, namespace: metadata.namespace, uid: metadata.uid, resourceVersion: metadata.resourceVersion },
    spec: { ports: (s.spec?.ports ?? []).map((p) => ({ port: p.port, ...(p.name !== undefined ? { name: p.name } : {}) })) },
  };
}

function ensureIndex<T extends PartialObjectMetadata | LoadBalancer | EndpointSlice>(inf: Informer<T>, name: string, fn: (o: T) => string[]): void {
  if (!inf.store.hasIndex(name)) inf.store.addIndex(name, fn);
}

/**
 * Creates (or joins) the shared informers with their transforms and indexes. Must run before
 * the controllers are added, so that their watches share these trimmed informers.
 */
export function fleetCaches(cache: Cache): FleetCaches {
  const loadBalancers = cache.informerFor(LoadBalancer);
  ensureIndex(loadBalancers, lbIndexes.byPool, (lb) => [lb.spec.ipPool]);
  ensureIndex(loadBalancers, lbIndexes.waitingOnPool, (lb) => (lb.status?.address === undefined ? [lb.spec.ipPool] : []));
  ensureIndex(loadBalancers, lbIndexes.byClass, (lb) => [lb.spec.className]);
  ensureIndex(loadBalancers, lbIndexes.byService, (lb) =>
    lb.spec.pools.flatMap((p) => (p.serviceRef ? [`${lb.metadata.namespace ?? ''}/${p.serviceRef.name}`] : [])),
  );
  ensureIndex(loadBalancers, lbIndexes.byLabel, (lb) => [`${lb.metadata.namespace ?? ''}/${lbLabelValue(lb.metadata.name ?? '')}`]);

  const allocations = cache.informerFor(IPAllocation);
  indexAllocations(allocations.store);

  const deployments = cache.informerFor(Deployment, { labelSelector: workloadSelector, transform: trimDeployment });
  const pods = cache.informerFor(Pod, { labelSelector: workloadSelector, metadataOnly: true });
  ensureIndex(pods, podsByLb, (p) => {
    const v = p.metadata.labels?.[lbLabel];
    return v === undefined ? [] : [`${p.metadata.namespace ?? ''}/${v}`];
  });
  const slices = cache.informerFor(EndpointSlice, { transform: trimSlice });
  ensureIndex(slices, slicesByService, (s) => {
    const svc = s.metadata.labels?.[serviceNameLabel];
    return svc === undefined ? [] : [`${s.metadata.namespace ?? ''}/${svc}`];
  });
  const services = cache.informerFor(Service, { transform: trimService });
  const issuedSecrets = cache.informerFor(Secret, { labelSelector: lbLabel, metadataOnly: true });
  return { loadBalancers, allocations, deployments, pods, slices, services, issuedSecrets };
}
