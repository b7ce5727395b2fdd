// The Registry controller's wiring: what it watches and how events become requests. The
// runbook itself is registry-reconciler.ts; deletion is registry-cleanup.ts.
import {
  annotationsChanged,
  apiVersionOf,
  ConfigMap,
  controller,
  deletionChanged,
  Deployment,
  generationChanged,
  Ingress,
  Job,
  labelsChanged,
  NetworkPolicy,
  or,
  PodDisruptionBudget,
  Secret,
  Service,
  type Cache,
  type ControllerDefinition,
} from '@tugboat/runtime';
import { ObjectStore } from '../api/object-store.js';
import { PostgresServer } from '../api/postgres-server.js';
import { Registry } from '../api/registry.js';
import { cleanupRegistry, registryFinalizer } from './registry-cleanup.js';
import { registryIndex } from './registry-index.js';
import { createRegistryReconciler, type RegistryReconcilerOptions } from './registry-reconciler.js';

/** The labels on every Secret the operator writes; its Secret informer watches only these. */
export const operatorSecretsSelector = 'app.kubernetes.io/name=harbor,app.kubernetes.io/managed-by=tugboat';

export interface RegistryControllerOptions extends Omit<RegistryReconcilerOptions, 'cachedSecret'> {
  /** Registries reconciled at once. Default 4: most of a reconcile is waiting on the shared services. */
  concurrency?: number;
}

export function registryController(cache: Cache, opts: RegistryControllerOptions): ControllerDefinition {
  const secrets = cache.informerFor(Secret, { labelSelector: operatorSecretsSelector });
  const cachedSecret = (key: { namespace?: string; name: string }) => Promise.resolve(secrets.store.get(key));
  const index = registryIndex(cache);
  const { reconcile } = createRegistryReconciler({ ...opts, cachedSecret, externalCacheUsers: (host, port) => index.usingExternalCache(host, port) });
  return controller('registry')
    // Our own status writes change neither generation, labels, annotations nor finalizers.
    .for(Registry, { predicates: [or(generationChanged(), deletionChanged(), labelsChanged(), annotationsChanged())] })
    .owns(Deployment)
    .owns(Service)
    .owns(ConfigMap)
    .owns(Secret, { labelSelector: operatorSecretsSelector })
    .owns(Job)
    .owns(Ingress)
    .owns(NetworkPolicy)
    .owns(PodDisruptionBudget)
    .watches(PostgresServer, (s) => index.usingPostgresServer(s.metadata.name ?? ''), { predicates: [generationChanged()] })
    .watches(ObjectStore, (s) => index.usingObjectStore(s.metadata.name ?? ''), { predicates: [generationChanged()] })
    .withConcurrency(opts.concurrency ?? 4)
    .reconcile(async (req, ctx) => {
      const cached = await ctx.get(Registry, req);
      if (!cached) return;
      const reg: Registry = { ...cached, apiVersion: apiVersionOf(Registry), kind: 'Registry' };
      return ctx.finalize(reg, registryFinalizer, {
        apply: (current) => reconcile(current, ctx),
        cleanup: (current) => cleanupRegistry(current, ctx, cachedSecret),
      });
    });
}
