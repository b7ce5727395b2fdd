// PodDisruptionBudgets for components run with two or more replicas: voluntary evictions (node
// drains) take at most one pod at a time. A single-replica component gets none, since a budget
// of "keep one" on one pod would block every drain.
import type { PodDisruptionBudget } from '@tugboat/runtime/kinds';
import type { RenderInput } from './input.js';
import { selectorLabels, type Component } from './labels.js';
import { objectName } from './names.js';
import { meta, ownerOf } from './workload.js';

export function renderDisruptionBudgets(input: RenderInput): PodDisruptionBudget[] {
  const c = input.registry.spec.components;
  const candidates: [Component, { replicas: number; enabled?: boolean }][] = [
    ['core', c.core],
    ['portal', c.portal],
    ['jobservice', c.jobservice],
    ['registry', c.registry],
    ['trivy', c.trivy],
    ['exporter', c.exporter],
  ];
  return candidates
    .filter(([, w]) => w.enabled !== false && w.replicas >= 2)
    .map(([component]) => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(ownerOf(input), objectName(input.registry.name, `${component}-pdb`), component),
      spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(input.registry.name, component) } },
    }));
}
