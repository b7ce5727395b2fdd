// LoadBalancerClass (cluster-scoped): what every load balancer of a class shares. The HAProxy
// image and global tuning, and the rollout policy that paces fleet-wide changes: when a class
// changes (a new HAProxy version, a tuning knob), every LB of the class must be re-rendered and
// its pods updated. With 100,000 LBs that is the riskiest operation the operator performs, so
// it proceeds in batches, pauses between them, and stops when too many updated LBs fail.
import { z } from 'zod';
import { defineCustomKind } from '@tugboat/runtime/crd';
import type { ObjectOf } from '@tugboat/runtime';
import { conditionsSchema } from './condition.js';
import { cel, duration, imagePattern, intOrPercentPattern, quantityPattern } from './formats.js';
import { lbGroup, type sizes } from './loadbalancer.js';

const image = z.string().min(1).max(512).regex(imagePattern, 'must be a container image reference (registry/name:tag or @sha256:digest)');
const quantity = z.string().min(1).max(32).regex(quantityPattern, 'must be a Kubernetes quantity (500m, 2, 256Mi)');
const intOrPercent = z.string().min(1).max(8).regex(intOrPercentPattern, 'must be a count (10) or a percentage (5%)');

export const sizeSchema = z
  .object({
    cpu: quantity.describe('CPU request and limit of the HAProxy container.'),
    memory: quantity.describe('Memory request and limit of the HAProxy container.'),
    maxConnections: z.int().min(100).max(4_000_000).describe('HAProxy global maxconn per replica.'),
  })
  .describe('Resources and capacity of one replica.');

export const defaultSizes = {
  small: { cpu: '500m', memory: '256Mi', maxConnections: 10_000 },
  medium: { cpu: '1', memory: '512Mi', maxConnections: 50_000 },
  large: { cpu: '2', memory: '1Gi', maxConnections: 200_000 },
  xlarge: { cpu: '4', memory: '2Gi', maxConnections: 500_000 },
} as const satisfies Record<(typeof sizes)[number], z.input<typeof sizeSchema>>;

export const globalTuningSchema = z
  .object({
    threads: z.int().min(1).max(64).optional().describe('HAProxy worker threads (nbthread). Default: one per CPU of the container.'),
    hardStopAfter: duration.default('30s').describe('Longest an old worker may keep serving connections after a reload before it is stopped.'),
    maxReloads: z.int().min(1).max(1000).default(50).describe('Reloads an old worker may survive before it is stopped (mworker-max-reloads).'),
    bufferSize: z.int().min(4096).max(1_048_576).optional().describe('tune.bufsize in bytes; raise for very large headers.'),
    statsPort: z.int().min(1).max(65535).default(8404).describe('Port of the Prometheus exporter and stats page on each replica (not on the load balancer address).'),
  })
  .describe('HAProxy global settings.');

export const defaultTimeoutsSchema = z
  .object({
    connect: duration.default('5s').describe('Default time to connect to a member.'),
    client: duration.default('50s').describe('Default client inactivity timeout.'),
    server: duration.default('50s').describe('Default member inactivity timeout.'),
    httpRequest: duration.default('10s').describe('Default time to receive a request head.'),
    httpKeepAlive: duration.default('10s').describe('Default idle time between requests on a kept-alive connection.'),
    queue: duration.default('30s').describe('Longest a request waits for a free member connection slot.'),
  })
  .describe('Timeouts used when a listener or pool does not set its own.');

export const rolloutPolicySchema = cel(
  z
    .object({
      maxUpdating: intOrPercent.default('5%').describe('Load balancers of the class updated at once: a count or a percentage of the class.'),
      maxUnavailable: intOrPercent.default('1').describe('Replicas of one load balancer that may be down during its update.'),
      batchPause: duration.default('30s').describe('Wait after each batch before the next, to let failures show.'),
      maxFailurePercent: z.int().min(0).max(100).default(5).describe('Stop the rollout when more than this percentage of the updated load balancers fail to become ready; resume by editing the class.'),
      progressDeadline: duration.default('10m').describe('Time an updated load balancer has to become ready before it counts as failed.'),
    })
    .describe('How changes that touch every load balancer of the class are rolled out.'),
  { rule: "self.maxUpdating != '0' && self.maxUpdating != '0%'", message: 'maxUpdating must allow at least one load balancer to update' },
);

export const loadBalancerClassSpecSchema = z
  .object({
    haproxy: z
      .object({
        image: image.default('docker.io/library/haproxy:2.6').describe('HAProxy container image.'),
        version: z.string().min(1).max(32).regex(/^[0-9]+\.[0-9]+(\.[0-9]+)?$/, 'must be a version such as 2.6 or 2.6.12').default('2.6').describe('HAProxy version of the image; the renderer only emits directives this version understands.'),
      })
      .default({ image: 'docker.io/library/haproxy:2.6', version: '2.6' })
      .describe('The HAProxy data plane.'),
    agentImage: image.optional().describe('Image of tugboat-lb-agent; default: the operator\'s own.'),
    global: globalTuningSchema.default({ hardStopAfter: '30s', maxReloads: 50, statsPort: 8404 }),
    defaults: defaultTimeoutsSchema.default({ connect: '5s', client: '50s', server: '50s', httpRequest: '10s', httpKeepAlive: '10s', queue: '30s' }),
    sizes: z
      .object({ small: sizeSchema.optional(), medium: sizeSchema.optional(), large: sizeSchema.optional(), xlarge: sizeSchema.optional() })
      .optional()
      .describe('Per-size resources, overriding the built-in defaults.'),
    rollout: rolloutPolicySchema.default({ maxUpdating: '5%', maxUnavailable: '1', batchPause: '30s', maxFailurePercent: 5, progressDeadline: '10m' }),
  })
  .describe('Settings shared by every load balancer of the class.');

/** `namespace/name` of a load balancer: 63 + 1 + 253 characters at most. */
const lbKey = z.string().max(317);

/**
 * Names the class status lists, at most: enough to start looking, few enough that the status
 * and its condition messages stay small whatever the size of the fleet.
 */
export const rolloutSampleSize = 10;

export const loadBalancerClassStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional(),
    loadBalancers: z.int().min(0).optional().describe('Load balancers using this class.'),
    updated: z.int().min(0).optional().describe('Load balancers running the current class generation.'),
    failed: z.int().min(0).optional().describe('Load balancers that failed to become ready after an update of this generation.'),
    rollout: z
      .object({
        generation: z.int().min(0).describe('The class generation being rolled out.'),
        admittedThrough: lbKey
          .optional()
          .describe('Load balancers (namespace/name) that sort at or before this key may run generation; the rollout admits in key order, so this one key stands for every admitted load balancer however many there are.'),
        batchAfter: lbKey.optional().describe('The running batch holds the admitted load balancers that sort after this key; unset: from the first.'),
        batchStartedAt: z.string().max(64).optional().describe('When the running batch started (RFC 3339); unset between batches.'),
        lastBatchFinishedAt: z.string().max(64).optional().describe('When the previous batch finished; the next starts batchPause later.'),
        updating: z.int().min(0).describe('Load balancers of the running batch that are still updating.'),
        pending: z.int().min(0).describe('Load balancers not admitted yet.'),
        updatingSample: z.array(lbKey).max(rolloutSampleSize).describe(`Up to ${rolloutSampleSize} of the updating load balancers, first in key order.`),
        failedSample: z.array(lbKey).max(rolloutSampleSize).describe(`Up to ${rolloutSampleSize} of the failed load balancers (status.failed counts them all), first in key order.`),
        halted: z.boolean().describe('The rollout stopped because too many updated load balancers failed; edit the class to start a new one.'),
      })
      .optional()
      .describe('State of the fleet rollout, kept by the operator.'),
    conditions: conditionsSchema.optional(),
  })
  .describe('Rollout progress of the class.');

export type LoadBalancerClassSpec = z.output<typeof loadBalancerClassSpecSchema>;
export type GlobalTuning = LoadBalancerClassSpec['global'];
export type DefaultTimeouts = LoadBalancerClassSpec['defaults'];
export type RolloutPolicy = LoadBalancerClassSpec['rollout'];
export type Size = z.output<typeof sizeSchema>;

export const LoadBalancerClass = defineCustomKind({
  group: lbGroup,
  kind: 'LoadBalancerClass',
  plural: 'loadbalancerclasses',
  scope: 'Cluster',
  shortNames: ['lbclass'],
  categories: ['tugboat'],
  description: 'HAProxy image, tuning and fleet rollout policy shared by load balancers.',
  printerColumns: [
    { name: 'HAProxy', type: 'string', jsonPath: '.spec.haproxy.version' },
    { name: 'LBs', type: 'integer', jsonPath: '.status.loadBalancers' },
    { name: 'Updated', type: 'integer', jsonPath: '.status.updated' },
  ],
  versions: [{ name: 'v1alpha1', spec: loadBalancerClassSpecSchema, status: loadBalancerClassStatusSchema }],
});
export type LoadBalancerClass = ObjectOf<typeof LoadBalancerClass>;

/** The class used when a load balancer names none and no object "default" exists. */
export const builtinClassSpec: LoadBalancerClassSpec = loadBalancerClassSpecSchema.parse({});
