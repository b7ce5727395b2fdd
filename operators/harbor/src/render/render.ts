// Everything a Registry consists of in its namespace, rendered from one RenderInput, in the
// order it should be applied: Secrets and ConfigMaps before the pods that mount them, the cache
// before the components that connect to it, the registry before core (core checks it on start),
// and the Ingress last, when there is something behind it. The migration Job is returned apart:
// the controller runs it, and waits for it, before applying a new version's core.
import type { Job } from '@tugboat/runtime/kinds';
import type { KubeObject } from '@tugboat/runtime/object';
import { renderCache } from './cache.js';
import { renderCertificate } from './certificate.js';
import { renderCore } from './core.js';
import { renderDisruptionBudgets } from './disruption-budgets.js';
import { renderExporter } from './exporter.js';
import { renderIngress } from './ingress.js';
import type { RenderInput } from './input.js';
import { renderJobservice } from './jobservice.js';
import { renderMigrationJob } from './migration-job.js';
import { renderNetworkPolicies } from './network-policies.js';
import { renderPortal } from './portal.js';
import { renderRegistry } from './registry.js';
import {
  renderAdminSecret,
  renderDatabaseSecret,
  renderEncryptionKeySecret,
  renderInternalSecret,
  renderRedisSecret,
  renderStorageSecret,
} from './secret-manifests.js';
import { renderTrivy } from './trivy.js';

export interface RenderedRegistry {
  /** Objects to apply, in dependency order. */
  objects: KubeObject[];
  /** The schema migration Job for spec.version. */
  migrationJob: Job;
}

function present<T>(v: T | undefined): v is T {
  return v !== undefined;
}

export function renderHarbor(input: RenderInput): RenderedRegistry {
  const cache = renderCache(input);
  const registry = renderRegistry(input);
  const core = renderCore(input);
  const jobservice = renderJobservice(input);
  const portal = renderPortal(input);
  const trivy = renderTrivy(input);
  const exporter = renderExporter(input);
  const objects: (KubeObject | undefined)[] = [
    renderInternalSecret(input),
    renderAdminSecret(input),
    renderEncryptionKeySecret(input),
    renderDatabaseSecret(input),
    renderStorageSecret(input),
    renderRedisSecret(input),
    registry.configMap,
    core.configMap,
    jobservice.configMap,
    portal.configMap,
    ...renderNetworkPolicies(input),
    cache?.service,
    cache?.deployment,
    registry.service,
    registry.deployment,
    core.service,
    core.deployment,
    jobservice.service,
    jobservice.deployment,
    portal.service,
    portal.deployment,
    trivy?.service,
    trivy?.deployment,
    exporter?.service,
    exporter?.deployment,
    ...renderDisruptionBudgets(input),
    renderCertificate(input),
    renderIngress(input),
  ];
  return { objects: objects.filter(present), migrationJob: renderMigrationJob(input) };
}
