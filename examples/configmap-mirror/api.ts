// The kind, declared once: the TypeScript type, runtime validation and the CRD (with a CEL
// rule the apiserver enforces) all come from this schema.
import { z } from 'zod';
import { defineCustomKind, type ObjectOf } from '@tugboat/runtime';

const condition = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.number().int().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});

export const ConfigMirror = defineCustomKind({
  group: 'example.tugboat.dev',
  kind: 'ConfigMirror',
  plural: 'configmirrors',
  scope: 'Namespaced',
  versions: [
    {
      name: 'v1alpha1',
      spec: z
        .object({
          source: z.string().describe('ConfigMap to copy, in the same namespace.'),
          copies: z.array(z.string().max(63)).min(1).max(10).describe('Names of the copies to keep in sync.'),
        })
        .meta({ 'x-kubernetes-validations': [{ rule: '!self.copies.exists(c, c == self.source)', message: 'a copy cannot overwrite its source' }] }),
      status: z.object({
        observedGeneration: z.number().int().optional(),
        conditions: z.array(condition).optional().meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
      }),
    },
  ],
});
export type ConfigMirror = ObjectOf<typeof ConfigMirror>;
