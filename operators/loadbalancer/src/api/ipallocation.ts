// IPAllocation (cluster-scoped): one object per address handed out from an IPPool. Its name is
// derived from the pool and the address, so the apiserver's rule that two objects cannot share
// a name is what makes an address go to exactly one load balancer: an allocator creates the
// object and either succeeds (the address is its) or gets AlreadyExists (someone else's; try
// the next). Nothing in the operator's memory has to be right for this to hold, which is what
// survives restarts, leader changes and stale caches (MetalLB's duplicate-IP bugs came from an
// allocator trusting its in-memory view). Written by the operator only; users read it.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineCustomKind } from '@tugboat/runtime/crd';
import type { ObjectOf } from '@tugboat/runtime';
import { formatIp, parseIp } from '../ipam/address.js';
import { dnsLabel, objectName } from './formats.js';
import { lbGroup } from './loadbalancer.js';

/** Label on an IPAllocation: the pool it was taken from. */
export const poolLabel = 'lb.tugboat.dev/pool';
/** Label on an IPAllocation: the UID of the load balancer holding it. */
export const ownerUidLabel = 'lb.tugboat.dev/owner-uid';

export const ipAllocationSpecSchema = z
  .object({
    pool: objectName.describe('The IPPool the address belongs to.'),
    address: z.string().min(2).max(45).describe('The allocated address, in canonical form.'),
    owner: z
      .object({
        namespace: dnsLabel.describe('Namespace of the load balancer.'),
        name: objectName.describe('Name of the load balancer.'),
        uid: z.string().min(1).max(64).describe('UID of the load balancer: a recreated object with the same name is a different owner.'),
      })
      .describe('The load balancer holding the address.'),
  })
  .describe('An address held by a load balancer.');

export type IPAllocationSpec = z.output<typeof ipAllocationSpecSchema>;

export const IPAllocation = defineCustomKind({
  group: lbGroup,
  kind: 'IPAllocation',
  plural: 'ipallocations',
  scope: 'Cluster',
  shortNames: ['lbip'],
  categories: ['tugboat'],
  description: 'An address from an IPPool held by one load balancer. Created and deleted by the operator.',
  printerColumns: [
    { name: 'Pool', type: 'string', jsonPath: '.spec.pool' },
    { name: 'Address', type: 'string', jsonPath: '.spec.address' },
    { name: 'Namespace', type: 'string', jsonPath: '.spec.owner.namespace' },
    { name: 'LoadBalancer', type: 'string', jsonPath: '.spec.owner.name' },
  ],
  versions: [{ name: 'v1alpha1', spec: ipAllocationSpecSchema }],
});
export type IPAllocation = ObjectOf<typeof IPAllocation>;

const maxName = 253;

/**
 * `<pool>.<address>`: dotted quad for IPv4 (`public.192.0.2.7`), 32 hex digits for IPv6 (colons
 * are not allowed in names). The address part has a fixed shape, so no two (pool, address)
 * pairs give one name. A pool name too long to fit is shortened with a hash of itself.
 */
export function allocationName(pool: string, address: string): string {
  const ip = parseIp(address);
  if (ip === undefined) throw new TypeError(`allocationName: "${address}" is not an IP address`);
  const addr = ip.family === 4 ? formatIp(ip) : ip.value.toString(16).padStart(32, '0');
  const room = maxName - addr.length - 1;
  let prefix = pool;
  if (prefix.length > room) {
    const hash = createHash('sha256').update(pool).digest('hex').slice(0, 10);
    prefix = `${pool.slice(0, room - hash.length - 1).replace(/[-.]+$/, '')}-${hash}`;
  }
  return `${prefix}.${addr}`;
}
