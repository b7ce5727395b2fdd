// The IPPool controller: the pool's NetworkAttachmentDefinition (when the operator manages it)
// and the pool's status, which answers "how full is it and who has what" from the
// IPAllocation objects. It also collects allocations whose load balancer is gone without
// having released them (its finalizer was removed by hand): after a grace period, and only
// when a direct read confirms the owner no longer exists, so a load balancer the cache has
// not caught up with yet never loses its address.
import {
  controller,
  isNotFound,
  type ControllerDefinition,
  type ReconcileContext,
  type Result,
} from '@tugboat/runtime';
import { IPAllocation } from '../api/ipallocation.js';
import { IPPool, maxListedAllocations, type IPPoolStatus } from '../api/ippool.js';
import { LoadBalancer } from '../api/loadbalancer.js';
import { validateIPPoolSpec } from '../api/validate.js';
import { parseIp } from '../ipam/address.js';
import { parsePool, poolCapacity } from '../ipam/allocator.js';
import { byPoolIndex } from './allocation.js';
import { lbIndexes, type FleetCaches } from './caches.js';
import { attachmentName } from './loadbalancer.js';
import { mergeConditions } from './lbstatus.js';
import { NetworkAttachmentDefinition, attachmentConfig } from './networkattachment.js';

export interface IPPoolControllerOptions {
  caches: FleetCaches;
  networkNamespace: string;
  multus: boolean;
  /** Allocations younger than this are never collected as orphans. Default 60 s. */
  orphanGraceMs?: number;
}

export const ipPoolControllerName = 'ippool';

/**
 * Allocations in address order. Each address is parsed once, not once per comparison: at
 * thousands of allocations a parsing comparator was the operator's largest CPU cost.
 */
export function sortByAddress<T extends { address: string }>(items: readonly T[]): T[] {
  const keyed = items.map((item) => {
    const ip = parseIp(item.address);
    return { item, family: ip?.family ?? 99, value: ip?.value ?? 0n };
  });
  keyed.sort((x, y) =>
    x.family !== y.family
      ? x.family - y.family
      : x.value !== y.value
        ? x.value < y.value
          ? -1
          : 1
        : x.item.address < y.item.address
          ? -1
          : x.item.address > y.item.address
            ? 1
            : 0,
  );
  return keyed.map((k) => k.item);
}

async function ownerGone(ctx: ReconcileContext, a: IPAllocation): Promise<boolean> {
  try {
    const lb = await ctx.client.get(LoadBalancer, { namespace: a.spec.owner.namespace, name: a.spec.owner.name });
    return lb.metadata.uid !== a.spec.owner.uid;
  } catch (e) {
    if (isNotFound(e)) return true;
    throw e;
  }
}

export function ipPoolController(opts: IPPoolControllerOptions): ControllerDefinition {
  const { caches } = opts;
  const grace = opts.orphanGraceMs ?? 60_000;
  let builder = controller(ipPoolControllerName)
    .for(IPPool)
    .watches(IPAllocation, (a) => ({ name: a.spec.pool }))
    .watches(LoadBalancer, (lb) => ({ name: lb.spec.ipPool }));
  if (opts.multus) builder = builder.owns(NetworkAttachmentDefinition, { metadataOnly: true, namespace: opts.networkNamespace });
  return builder.reconcile(async (req, ctx): Promise<Result> => {
    const pool = await ctx.get(IPPool, req);
    if (pool === undefined) return undefined;
    const name = pool.metadata.name ?? '';
    const generation = pool.metadata.generation ?? 0;
    const net = pool.spec.network;

    if (opts.multus && net?.master !== undefined && net.attachmentRef === undefined) {
      await ctx.apply(
        {
          apiVersion: 'k8s.cni.cncf.io/v1',
          kind: 'NetworkAttachmentDefinition',
          metadata: {
            name: attachmentName(name),
            namespace: opts.networkNamespace,
            labels: { 'app.kubernetes.io/part-of': 'tugboat', 'app.kubernetes.io/managed-by': 'tugboat', 'lb.tugboat.dev/pool': name },
          },
          spec: { config: attachmentConfig(attachmentName(name), { type: net.type, master: net.master, gateway: net.gateway }) },
        },
        { owner: pool },
      );
    }

    const now = Date.now();
    let requeueAfter: number | undefined;
    const held = [...caches.allocations.store.byIndex(byPoolIndex, name)];
    const live: IPAllocation[] = [];
    for (const a of held) {
      const owner = caches.loadBalancers.store.get(`${a.spec.owner.namespace}/${a.spec.owner.name}`);
      if (owner?.metadata.uid === a.spec.owner.uid) {
        live.push(a);
        continue;
      }
      const age = now - Date.parse(a.metadata.creationTimestamp ?? new Date(now).toISOString());
      if (age < grace) {
        live.push(a);
        requeueAfter = Math.min(requeueAfter ?? Infinity, grace - age + 1000);
      } else if (await ownerGone(ctx, a)) {
        await ctx.client.delete(IPAllocation, { name: a.metadata.name ?? '' }, { preconditions: { uid: a.metadata.uid ?? '' } }).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
        ctx.recorder.normal(pool, 'AddressReclaimed', `reclaimed ${a.spec.address} from ${a.spec.owner.namespace}/${a.spec.owner.name}, which no longer exists`, 'Reclaim');
      } else {
        live.push(a);
      }
    }

    const problems = validateIPPoolSpec(pool.spec);
    const parsed = parsePool({ addresses: pool.spec.addresses, exclude: pool.spec.exclude });
    const capacityBig = parsed.ok ? poolCapacity(parsed.pool) : 0n;
    const capacity = capacityBig > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(capacityBig);
    const allocations = sortByAddress(
      live.map((a) => ({ address: a.spec.address, namespace: a.spec.owner.namespace, name: a.spec.owner.name, uid: a.spec.owner.uid })),
    );
    const listed = allocations.slice(0, maxListedAllocations);
    const free = Math.max(0, capacity - allocations.length);
    const waiting = caches.loadBalancers.store.byIndex(lbIndexes.waitingOnPool, name).length;
    const status: IPPoolStatus = {
      observedGeneration: generation,
      capacity,
      allocated: allocations.length,
      free,
      allocations: listed,
      ...(allocations.length > listed.length ? { allocationsNotListed: allocations.length - listed.length } : {}),
      conditions: mergeConditions(
        pool.status?.conditions,
        [
          problems.length > 0
            ? { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: problems.map((p) => `${p.path}: ${p.message}`).join('; ') }
            : { type: 'Ready', status: 'True', reason: 'Valid', message: `${free} of ${capacity} addresses are free` },
          free === 0 && capacity > 0
            ? {
                type: 'Degraded',
                status: 'True',
                reason: 'Exhausted',
                message: `every address is allocated${waiting > 0 ? ` and ${waiting} load balancer(s) wait for one` : ''}; add a range to spec.addresses or delete load balancers that use this pool`,
              }
            : { type: 'Degraded', status: 'False', reason: 'AddressesFree', message: `${free} addresses are free` },
        ],
        generation,
        new Date(now).toISOString(),
      ),
    };
    await ctx.applyStatus(pool, status);
    return requeueAfter !== undefined ? { requeueAfter } : undefined;
  });
}
