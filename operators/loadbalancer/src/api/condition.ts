// metav1.Condition as a zod schema, for the status of every lb.tugboat.dev kind.
import { z } from 'zod';

export const conditionSchema = z.object({
  type: z.string().min(1).max(316).regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/).describe('Type of condition in CamelCase: Ready, Progressing, Degraded.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('Status of the condition.'),
  observedGeneration: z.int().min(0).optional().describe('The .metadata.generation the condition was set from.'),
  lastTransitionTime: z.string().max(64).describe('When the condition last changed status (RFC 3339).'),
  reason: z.string().min(1).max(1024).regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/).describe('A CamelCase word for the cause: AddressAllocated, PoolExhausted.'),
  message: z.string().max(32768).describe('What is wrong and what to do, for the person reading kubectl describe.'),
});

export type Condition = z.output<typeof conditionSchema>;

export const conditionsSchema = z
  .array(conditionSchema)
  .max(16)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
  .describe('The latest observations of the object: Ready, Progressing, Degraded.');
