// The app.kubernetes.io labels every rendered object carries. Selectors use the subset that
// never changes for the life of a Deployment (name, instance, component); the version label is
// informational only, because a selector cannot change after creation.
import { boundedName } from './names.js';

export type Component = 'core' | 'portal' | 'jobservice' | 'registry' | 'trivy' | 'exporter' | 'redis' | 'migration' | 'harbor';

export function selectorLabels(registry: string, component: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'harbor',
    // A Registry's name may be longer than a label value may be.
    'app.kubernetes.io/instance': boundedName(registry),
    'app.kubernetes.io/component': component,
  };
}

export function labels(registry: string, component: Component, version?: string): Record<string, string> {
  return {
    ...selectorLabels(registry, component),
    'app.kubernetes.io/part-of': 'tugboat',
    'app.kubernetes.io/managed-by': 'tugboat',
    ...(version ? { 'app.kubernetes.io/version': version } : {}),
  };
}
