// Exactly-once address allocation, with the apiserver as the arbiter. An address belongs to
// whoever created its IPAllocation object (api/ipallocation.ts); everything in this file only
// decides which creates to try and remembers what it did, and may be wrong or lost without
// breaking the guarantee that no two load balancers hold one address:
//
//   1. The load balancer already holds an allocation in the pool?  Use it. Looked up in the
//      informer's index, then in what this process created but has not seen come back through
//      the watch yet, then (only when both are empty and a create is about to be tried) with
//      one label-selected LIST, which is a consistent read and covers a restart or a leader
//      change mid-allocation. An exhausted pool costs no request at all.
//   2. Otherwise try free addresses in the load balancer's own order (candidates.ts): create;
//      AlreadyExists means taken, so try the next one.
//
// A load balancer can end up holding two allocations (a create whose answer was lost with the
// old process); the next reconcile keeps the one in its status (else the lowest) and releases
// the rest. Release deletes by label with a consistent LIST, not from the cache.
import { isAlreadyExists, isConflict, isNotFound, type Client, type Store } from '@tugboat/runtime';
import { IPAllocation, allocationName, ownerUidLabel, poolLabel } from '../api/ipallocation.js';
import type { IPPool } from '../api/ippool.js';
import type { LoadBalancer } from '../api/loadbalancer.js';
import { canonicalIp, parseIp } from '../ipam/address.js';
import { parsePool, poolCapacity, poolContains } from '../ipam/allocator.js';
import { candidates } from './candidates.js';

/** Store index of IPAllocations by the UID of the holding load balancer. */
export const byOwnerIndex = 'lb.tugboat.dev/owner-uid';
/** Store index of IPAllocations by pool name. */
export const byPoolIndex = 'lb.tugboat.dev/pool';

export function indexAllocations(store: Store<IPAllocation>): void {
  if (!store.hasIndex(byOwnerIndex)) store.addIndex(byOwnerIndex, (a) => [a.spec.owner.uid]);
  if (!store.hasIndex(byPoolIndex)) store.addIndex(byPoolIndex, (a) => [a.spec.pool]);
}

export type AllocationFailure = 'PoolExhausted' | 'RequestedAddressInUse' | 'RequestedAddressNotInPool' | 'InvalidPool' | 'Contended';

export type AllocationOutcome =
  | { ok: true; address: string; allocation: IPAllocation; created: boolean; released: number }
  | { ok: false; reason: AllocationFailure; message: string };

export interface AllocatorOptions {
  client: Client;
  /** The informer store of IPAllocations, indexed with indexAllocations(). */
  store: Store<IPAllocation>;
  fieldManager: string;
  /** Creates tried per call before giving up for now (Contended). Default 32. */
  attempts?: number;
}

export interface Allocator {
  ensure(lb: LoadBalancer, pool: IPPool): Promise<AllocationOutcome>;
  /** Deletes every allocation the load balancer holds, in any pool; returns how many. */
  release(lbUid: string): Promise<number>;
  /** Addresses of `pool` known to be taken: the store plus creates not yet seen in it. */
  taken(pool: string): string[];
}

function byAddress(a: IPAllocation, b: IPAllocation): number {
  const x = parseIp(a.spec.address);
  const y = parseIp(b.spec.address);
  if (!x || !y) return a.spec.address < b.spec.address ? -1 : 1;
  return x.family !== y.family ? x.family - y.family : x.value < y.value ? -1 : x.value > y.value ? 1 : 0;
}

export function createAllocator(opts: AllocatorOptions): Allocator {
  const { client, store } = opts;
  const attempts = opts.attempts ?? 32;
  // Allocations this process created, until the informer delivers them (keyed by object name).
  const recent = new Map<string, IPAllocation>();

  const prune = () => {
    for (const name of recent.keys()) if (store.get(name) !== undefined) recent.delete(name);
  };

  const held = (uid: string, pool: string): IPAllocation[] => {
    prune();
    const out = new Map<string, IPAllocation>();
    for (const a of store.byIndex(byOwnerIndex, uid)) if (a.spec.pool === pool) out.set(a.metadata.name ?? '', a);
    for (const a of recent.values()) if (a.spec.owner.uid === uid && a.spec.pool === pool) out.set(a.metadata.name ?? '', a);
    return [...out.values()];
  };

  const remove = async (a: IPAllocation) => {
    recent.delete(a.metadata.name ?? '');
    try {
      await client.delete(IPAllocation, { name: a.metadata.name ?? '' }, a.metadata.uid ? { preconditions: { uid: a.metadata.uid } } : {});
    } catch (e) {
      // Gone already, or replaced by an object with another UID (a precondition conflict): not ours to delete.
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  };

  const keepOne = async (lb: LoadBalancer, mine: IPAllocation[]): Promise<{ keep: IPAllocation; released: number }> => {
    const sorted = [...mine].sort(byAddress);
    const keep = sorted.find((a) => a.spec.address === lb.status?.address) ?? sorted[0];
    if (keep === undefined) throw new Error('keepOne needs at least one allocation');
    const extra = sorted.filter((a) => a !== keep);
    for (const a of extra) await remove(a);
    return { keep, released: extra.length };
  };

  const tryCreate = async (lb: LoadBalancer, pool: string, address: string): Promise<IPAllocation | 'taken'> => {
    const uid = lb.metadata.uid ?? '';
    const obj: IPAllocation = {
      apiVersion: 'lb.tugboat.dev/v1alpha1',
      kind: 'IPAllocation',
      metadata: {
        name: allocationName(pool, address),
        labels: { [poolLabel]: pool, [ownerUidLabel]: uid, 'app.kubernetes.io/managed-by': 'tugboat', 'app.kubernetes.io/part-of': 'tugboat' },
      },
      spec: { pool, address, owner: { namespace: lb.metadata.namespace ?? '', name: lb.metadata.name ?? '', uid } },
    };
    try {
      const created = await client.create(IPAllocation, obj, { fieldManager: opts.fieldManager });
      recent.set(created.metadata.name ?? '', created);
      return created;
    } catch (e) {
      if (isAlreadyExists(e)) return 'taken';
      throw e;
    }
  };

  return {
    taken(pool) {
      prune();
      const out = new Set(store.byIndex(byPoolIndex, pool).map((a) => a.spec.address));
      for (const a of recent.values()) if (a.spec.pool === pool) out.add(a.spec.address);
      return [...out];
    },

    async ensure(lb, ippool) {
      const uid = lb.metadata.uid ?? '';
      const pool = ippool.metadata.name ?? '';
      const mine = held(uid, pool);
      if (mine.length > 0) {
        const { keep, released } = await keepOne(lb, mine);
        return { ok: true, address: keep.spec.address, allocation: keep, created: false, released };
      }
      // Before taking a new address: a consistent read of what this LB holds, in case the cache
      // has not seen an allocation made by an earlier process (restart, leader change).
      const confirmHeld = async (): Promise<AllocationOutcome | undefined> => {
        const live = (await client.list(IPAllocation, { labelSelector: `${ownerUidLabel}=${uid}` })).items.filter((a) => a.spec.pool === pool);
        if (live.length === 0) return undefined;
        for (const a of live) if (store.get(a.metadata.name ?? '') === undefined) recent.set(a.metadata.name ?? '', a);
        const { keep, released } = await keepOne(lb, live);
        return { ok: true, address: keep.spec.address, allocation: keep, created: false, released };
      };

      const parsed = parsePool({ addresses: ippool.spec.addresses, exclude: ippool.spec.exclude });
      if (!parsed.ok) {
        return { ok: false, reason: 'InvalidPool', message: `IPPool "${pool}" is invalid (${parsed.errors.join('; ')}); fix the pool` };
      }
      const requested = lb.spec.address;
      if (requested !== undefined) {
        const address = canonicalIp(requested) ?? requested;
        if (!poolContains(parsed.pool, address)) {
          return {
            ok: false,
            reason: 'RequestedAddressNotInPool',
            message: `spec.address ${address} is not in IPPool "${pool}" (or is excluded); pick an address from ${ippool.spec.addresses.join(', ')} or remove spec.address`,
          };
        }
        const already = await confirmHeld();
        if (already !== undefined) return already;
        const got = await tryCreate(lb, pool, address);
        if (got !== 'taken') return { ok: true, address, allocation: got, created: true, released: 0 };
        const holder = await client.get(IPAllocation, { name: allocationName(pool, address) }).catch(() => undefined);
        if (holder !== undefined && holder.spec.owner.uid === uid) return { ok: true, address, allocation: holder, created: false, released: 0 };
        const who = holder ? `${holder.spec.owner.namespace}/${holder.spec.owner.name}` : 'another load balancer';
        return {
          ok: false,
          reason: 'RequestedAddressInUse',
          message: `spec.address ${address} is held by ${who}; pick another address or remove spec.address to get any free one`,
        };
      }

      let tried = 0;
      for (const address of candidates(parsed.pool, this.taken(pool), uid, attempts)) {
        if (tried === 0) {
          const already = await confirmHeld();
          if (already !== undefined) return already;
        }
        tried++;
        const got = await tryCreate(lb, pool, address);
        if (got !== 'taken') return { ok: true, address, allocation: got, created: true, released: 0 };
      }
      if (tried === 0) {
        const capacity = poolCapacity(parsed.pool);
        return {
          ok: false,
          reason: 'PoolExhausted',
          message: `IPPool "${pool}" has no free address (${capacity} of ${capacity} allocated); delete a load balancer that uses it, or add a range to spec.addresses of IPPool "${pool}"`,
        };
      }
      return { ok: false, reason: 'Contended', message: `${tried} addresses of IPPool "${pool}" were taken while trying; retrying` };
    },

    async release(lbUid) {
      for (const [name, a] of recent) if (a.spec.owner.uid === lbUid) recent.delete(name);
      const live = await client.list(IPAllocation, { labelSelector: `${ownerUidLabel}=${lbUid}` });
      for (const a of live.items) await remove(a);
      return live.items.length;
    },
  };
}
