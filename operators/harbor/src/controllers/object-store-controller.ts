// ObjectStore status: whether the operator's admin keys work against the store (a real
// ListBuckets), and how many Registries keep their images there.
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { apiVersionOf, controller, generationChanged, setConditions, type Cache, type ControllerDefinition, type ReconcileContext } from '@tugboat/runtime';
import { ObjectStore, type ObjectStoreStatus } from '../api/object-store.js';
import { Registry } from '../api/registry.js';
import { s3Client } from '../provision/s3.js';
import { registryIndex } from './registry-index.js';
import type { SecretSource } from './secret-reader.js';
import { objectStoreAdmin } from './shared-services.js';

function text(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function objectStoreController(cache: Cache, opts: { probeIntervalMs?: number; cachedSecret?: SecretSource['cached'] } = {}): ControllerDefinition {
  const index = registryIndex(cache);
  return controller('object-store')
    .for(ObjectStore, { predicates: [generationChanged()] })
    .watches(Registry, (r) => (r.spec?.storage?.objectStoreRef?.name ? { name: r.spec.storage.objectStoreRef.name } : undefined), { predicates: [generationChanged()] })
    .reconcile(async (req, ctx) => {
      const cached = await ctx.get(ObjectStore, req);
      if (!cached) return;
      const store: ObjectStore = { ...cached, apiVersion: apiVersionOf(ObjectStore), kind: 'ObjectStore' };
      const condition = await probe(store, ctx, opts.cachedSecret);
      const generation = store.metadata.generation;
      const conditions = setConditions(store.status?.conditions, [{ ...condition, ...(generation !== undefined ? { observedGeneration: generation } : {}) }]).map((c) => ({
        ...c,
        reason: c.reason ?? '',
        message: c.message ?? '',
        lastTransitionTime: c.lastTransitionTime ?? '',
      }));
      const status: ObjectStoreStatus = {
        ...store.status,
        conditions,
        tenants: index.usingObjectStore(store.metadata.name ?? '').length,
        ...(generation !== undefined ? { observedGeneration: generation } : {}),
      };
      await ctx.applyStatus(store, status);
      return { requeueAfter: opts.probeIntervalMs ?? 60_000 };
    });
}

async function probe(store: ObjectStore, ctx: ReconcileContext, cachedSecret: SecretSource['cached'] | undefined) {
  const name = store.metadata.name ?? '';
  const admin = await objectStoreAdmin({ cached: cachedSecret ?? (() => Promise.resolve(undefined)), client: ctx.client }, name, store);
  if (!admin.ok) return { type: 'Ready', status: 'False' as const, reason: admin.reason, message: admin.message };
  const s3 = s3Client(admin.value, admin.value);
  try {
    const r = await s3.send(new ListBucketsCommand({}));
    return { type: 'Ready', status: 'True' as const, reason: 'Reachable', message: `${store.spec.endpoint} accepted the admin keys (${r.Buckets?.length ?? 0} buckets)` };
  } catch (e) {
    return {
      type: 'Ready',
      status: 'False' as const,
      reason: 'Unreachable',
      message: `${store.spec.endpoint} refused ListBuckets with the admin keys: ${text(e)}. Check the endpoint and the admin Secret`,
    };
  } finally {
    s3.destroy();
  }
}
