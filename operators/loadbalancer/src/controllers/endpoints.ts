// Members of a pool that names a Service: the Service's ready endpoints, read from its
// EndpointSlices (the Endpoints API is deprecated and capped at 1000 addresses). A Service
// port is matched to the slices' ports by name, which is how kube-proxy does it: the slice
// carries the target port under the Service port's name. Pure; sorted, so a reordering of
// slices or endpoints is not a change.
import type { EndpointSlice, Service } from '@tugboat/runtime';
import type { Endpoint } from '../render/haproxy.js';
import type { LoadBalancerSpec } from '../api/loadbalancer.js';

/** Label that ties an EndpointSlice to its Service. */
export const serviceNameLabel = 'kubernetes.io/service-name';

export type ServiceEndpoints = { ok: true; endpoints: Endpoint[] } | { ok: false; reason: 'ServiceNotFound' | 'PortNotFound'; message: string };

export function serviceEndpoints(service: Service | undefined, slices: readonly EndpointSlice[], port: number, ref: string): ServiceEndpoints {
  if (service === undefined) return { ok: false, reason: 'ServiceNotFound', message: `Service ${ref} does not exist; create it or fix serviceRef.name` };
  const sp = (service.spec?.ports ?? []).find((p) => p.port === port);
  if (sp === undefined) {
    const known = (service.spec?.ports ?? []).map((p) => p.port).join(', ') || 'none';
    return { ok: false, reason: 'PortNotFound', message: `Service ${ref} has no port ${port} (it has: ${known}); fix serviceRef.port` };
  }
  const portName = sp.name ?? '';
  const seen = new Set<string>();
  const out: Endpoint[] = [];
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue;
    const target = (slice.ports ?? []).find((p) => (p.name ?? '') === portName)?.port;
    if (target === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      // Ready unset means ready (the API's documented default); terminating endpoints drain.
      if (ep.conditions?.ready === false) continue;
      for (const address of ep.addresses) {
        const key = `${address}:${target}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ address, port: target });
      }
    }
  }
  out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
  return { ok: true, endpoints: out };
}

/** `namespace/name` of each Service the spec's pools reference. */
export function referencedServices(namespace: string, spec: Pick<LoadBalancerSpec, 'pools'>): string[] {
  const names = new Set<string>();
  for (const p of spec.pools) if (p.serviceRef !== undefined) names.add(`${namespace}/${p.serviceRef.name}`);
  return [...names].sort();
}
