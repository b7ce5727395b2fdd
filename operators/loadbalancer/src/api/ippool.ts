// IPPool (cluster-scoped): addresses load balancers are allocated from, and the Multus network
// they live on. Allocation itself is the controller's job (ipam/ is its pure core); the pool's
// status shows what is taken so `kubectl get ippool` answers "how full is it?".
import { z } from 'zod';
import { defineCustomKind } from '@tugboat/runtime/crd';
import type { ObjectOf } from '@tugboat/runtime';
import { conditionsSchema } from './condition.js';
import { addressBlock, addressOrBlock, cel, dnsLabel, interfaceNamePattern, ipAddress, objectName } from './formats.js';
import { lbGroup } from './loadbalancer.js';

export const poolNetworkSchema = cel(
  z
    .object({
      attachmentRef: z
        .object({ name: objectName.describe('Name of the NetworkAttachmentDefinition.'), namespace: dnsLabel.describe('Its namespace.') })
        .optional()
        .describe('Use an existing NetworkAttachmentDefinition (it must accept static IPs).'),
      type: z.enum(['macvlan', 'ipvlan']).default('macvlan').describe('CNI plugin of the managed NetworkAttachmentDefinition.'),
      master: z.string().min(1).max(15).regex(interfaceNamePattern, 'must be a network interface name (eth1)').optional().describe('Host interface the addresses are attached to; required unless attachmentRef is set.'),
      prefixLength: z.int().min(1).max(128).optional().describe('Prefix length configured with each address on the pod interface (e.g. 24).'),
      gateway: ipAddress.optional().describe('Default gateway for traffic leaving through this network.'),
    })
    .describe('The Multus network pool addresses are attached on. The operator manages a NetworkAttachmentDefinition for it unless attachmentRef names one.'),
  { rule: 'has(self.attachmentRef) != has(self.master)', message: 'set exactly one of network.attachmentRef (an existing NetworkAttachmentDefinition) or network.master (the operator manages one)' },
);

export const ipPoolSpecSchema = z
  .object({
    addresses: z
      .array(addressBlock)
      .min(1)
      .max(64)
      .describe('CIDRs (network and broadcast addresses are not handed out) or inclusive ranges: 192.0.2.0/24, 192.0.2.10-192.0.2.20.'),
    exclude: z.array(addressOrBlock).max(256).optional().describe('Addresses, CIDRs or ranges never handed out (gateways, reserved addresses).'),
    network: poolNetworkSchema.optional(),
  })
  .describe('Addresses for load balancers.');

export const allocationSchema = z
  .object({
    address: z.string().max(45).describe('The allocated address.'),
    namespace: dnsLabel.describe('Namespace of the load balancer.'),
    name: objectName.describe('Name of the load balancer.'),
    uid: z.string().max(64).optional().describe('UID of the load balancer, so a recreated object with the same name is a new owner.'),
  })
  .describe('One address held by one load balancer.');

/**
 * The pool status lists at most this many allocations. A pool can hold a /16's worth of load
 * balancers: listing them all would make every status write hundreds of kilobytes (past etcd's
 * object limit at scale) and every recomputation a long synchronous stretch of the event loop.
 * The IPAllocation objects are the complete, queryable record.
 */
export const maxListedAllocations = 256;

export const ipPoolStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional(),
    capacity: z.int().min(0).optional().describe('Addresses the pool can hand out (after exclusions).'),
    allocated: z.int().min(0).optional().describe('Addresses currently allocated.'),
    free: z.int().min(0).optional().describe('Addresses still free (capacity minus allocated).'),
    allocations: z
      .array(allocationSchema)
      .max(maxListedAllocations)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['address'] })
      .describe(
        `Who holds which address, lowest addresses first, at most ${maxListedAllocations}; the rest are counted in allocationsNotListed. Every allocation is an IPAllocation object: kubectl get ipallocations -l lb.tugboat.dev/pool=<pool>.`,
      ),
    allocationsNotListed: z.int().min(0).optional().describe('Allocations left out of the allocations list to keep the status small.'),
    conditions: conditionsSchema.optional(),
  })
  .describe('Usage of the pool.');

export type IPPoolSpec = z.output<typeof ipPoolSpecSchema>;
export type IPPoolStatus = z.output<typeof ipPoolStatusSchema>;
export type Allocation = z.output<typeof allocationSchema>;

export const IPPool = defineCustomKind({
  group: lbGroup,
  kind: 'IPPool',
  plural: 'ippools',
  scope: 'Cluster',
  shortNames: ['lbpool'],
  categories: ['tugboat'],
  description: 'Addresses load balancers are allocated from, and the network they live on.',
  printerColumns: [
    { name: 'Capacity', type: 'integer', jsonPath: '.status.capacity' },
    { name: 'Allocated', type: 'integer', jsonPath: '.status.allocated' },
  ],
  versions: [{ name: 'v1alpha1', spec: ipPoolSpecSchema, status: ipPoolStatusSchema }],
});
export type IPPool = ObjectOf<typeof IPPool>;
