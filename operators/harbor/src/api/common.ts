// Schema pieces the three kinds share: object references, scheduling and sizing of a workload,
// and the syntax rules for names and hosts. Everything here becomes part of a CRD schema, so it
// sticks to structural shapes (no unions of different types) and states rules in CEL.
import { z } from 'zod';

export const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

// The same rules in CEL, so the apiserver enforces them even when the webhook is not running.
const hostCel = String.raw`self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$') && self.split('.').all(l, size(l) <= 63)`;

/** True for a DNS host name: lowercase labels of 1-63 characters separated by dots. */
export function isHostName(s: string): boolean {
  return s.length <= 253 && dns1123Subdomain.test(s) && s.split('.').every((l) => l.length <= 63);
}

export const hostNameMessage =
  'must be a DNS host name such as registry.example.com: lowercase letters, digits and "-", labels of at most 63 characters separated by ".", without scheme, port or path';

/** True for an absolute http(s) URL with a host. */
export function isHttpURL(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** A DNS host name as clients type it: lowercase, dot-separated labels, no port, no wildcard. */
export const hostName = z
  .string()
  .min(1)
  .max(253)
  .describe('A DNS host name such as registry.example.com: lowercase labels separated by dots, no scheme, port or wildcard.')
  .meta({
    'x-kubernetes-validations': [
      { rule: hostCel, message: hostNameMessage },
    ],
  });

export const objectName = z
  .string()
  .min(1)
  .max(253)
  .regex(dns1123Subdomain, 'must be a lowercase DNS-1123 name such as my-secret')
  .describe('Name of a Kubernetes object.');

/** A key in a Secret, e.g. `password`. */
export const secretKey = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, 'must consist of letters, digits, "-", "_" or "."');

/** A Secret in the same namespace as the object that names it. */
export const localSecretKeyRef = z
  .object({
    name: objectName.describe('Name of the Secret, in the same namespace.'),
    key: secretKey.default('password').describe('Key inside the Secret.'),
  })
  .describe('A key of a Secret in the same namespace.');

/** A Secret anywhere, for cluster-scoped kinds that have no namespace of their own. */
export const namespacedSecretRef = z
  .object({
    name: objectName.describe('Name of the Secret.'),
    namespace: objectName.max(63).describe('Namespace of the Secret.'),
  })
  .describe('A Secret in a given namespace.');

export const clusterObjectRef = z
  .object({ name: objectName.describe('Name of the cluster-scoped object.') })
  .describe('A reference to a cluster-scoped object by name.');

/** A resource quantity such as `500m`, `256Mi` or `2`; YAML may give it as a number. */
export const quantity = z
  .union([z.string().regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+|[KMGTPE]i?|[mkMGTPE]|[numk])?$/), z.number()])
  .meta({ 'x-kubernetes-int-or-string': true });

export const resources = z
  .object({
    requests: z.record(z.string(), quantity).optional().describe('Minimum resources, e.g. {cpu: 100m, memory: 256Mi}.'),
    limits: z.record(z.string(), quantity).optional().describe('Maximum resources.'),
  })
  .describe('Compute resources of the component container (as in a Pod spec).');

export const toleration = z.object({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.number().int().optional(),
});

/** How one Harbor component is sized and placed; the fields a Pod spec would have. */
export const workload = {
  replicas: z.number().int().min(0).max(100).default(1).describe('Number of pods. 2 or more also gets a PodDisruptionBudget.'),
  resources: resources.optional(),
  affinity: z
    .looseObject({})
    .optional()
    .describe('Pod affinity and anti-affinity, exactly as in a Pod spec (spec.affinity).'),
  nodeSelector: z.record(z.string(), z.string()).optional().describe('Node labels the pods must match.'),
  tolerations: z.array(toleration).optional().describe('Taints the pods tolerate.'),
  priorityClassName: objectName.optional().describe('PriorityClass of the pods.'),
};

export const workloadSpec = z.object(workload).describe('Sizing and placement of a component.');
export type WorkloadSpec = z.infer<typeof workloadSpec>;

/** A condition as the Kubernetes API conventions define it. */
export const condition = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.number().int().optional(),
  lastTransitionTime: z.string(),
  reason: z.string(),
  message: z.string(),
});

export const conditions = z
  .array(condition)
  .optional()
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });
