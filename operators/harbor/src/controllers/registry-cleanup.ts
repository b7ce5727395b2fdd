// What happens to a tenant's data when its Registry is deleted, run under the finalizer
// registry.tugboat.dev/cleanup before the Registry may go:
//  - Delete: drop the database and role, delete the bucket (and every object in it) and the
//    tenant's storage user, then the Secrets holding their credentials and the encryption key.
//  - Retain: touch nothing. The data and those Secrets (never owned by the Registry, so garbage
//    collection leaves them) stay; an event lists them, and a new Registry of the same name in
//    the same namespace picks them up again.
// Everything else the Registry owned (Deployments, Services, ConfigMaps, the internal Secrets)
// goes by garbage collection. Cleanup is idempotent: a second run finds nothing left to drop.
import { isNotFound, Secret, type ReconcileContext } from '@tugboat/runtime';
import { ObjectStore } from '../api/object-store.js';
import { PostgresServer } from '../api/postgres-server.js';
import { Registry } from '../api/registry.js';
import { describeTenantData, releaseTenantData, type TenantData } from '../provision/release.js';
import { registryNames, tenantDatabaseName, tenantOwner, tenantRoleName, tenantStorageUserName } from '../render/names.js';
import type { SecretSource } from './secret-reader.js';
import { objectStoreAdmin, postgresAdmin } from './shared-services.js';
import { bucketOf } from './tenant-bucket.js';

export const registryFinalizer = 'registry.tugboat.dev/cleanup';

/** The Secrets that belong with the data: kept under Retain, deleted under Delete. */
export function dataSecrets(name: string, spec: Pick<Registry['spec'], 'encryptionKeySecretRef'>): string[] {
  const n = registryNames(name);
  return [n.databaseSecret, n.storageSecret, ...(spec.encryptionKeySecretRef ? [] : [n.encryptionKeySecret])];
}

export async function cleanupRegistry(reg: Registry, ctx: ReconcileContext, cachedSecret: SecretSource['cached']): Promise<void> {
  const name = reg.metadata.name ?? '';
  const namespace = reg.metadata.namespace ?? '';
  const parsed = Registry.validate(reg);
  // A stored object always had a valid spec when admitted; if an older schema no longer parses,
  // the stored values are still what names the data.
  const spec = parsed.ok ? parsed.value.spec : reg.spec;
  const secrets = dataSecrets(name, spec);
  const policy = spec.deletionPolicy === 'Delete' ? 'Delete' : 'Retain';

  if (policy === 'Retain') {
    const store = await ctx.get(ObjectStore, { name: spec.storage.objectStoreRef.name });
    const bucket = store ? bucketOf({ name, namespace, spec }, store) : (spec.storage.bucket ?? reg.status?.storage?.bucket ?? '(unknown bucket)');
    const kept = describeTenantData(tenantData(name, namespace, bucket));
    ctx.recorder.normal(
      reg,
      'DataRetained',
      `deletionPolicy Retain: kept ${kept.join(', ')} and Secrets ${secrets.join(', ')} in namespace ${namespace}. ` +
        `A new Registry named ${name} here uses them again; delete them by hand when no longer needed`,
      'Delete',
    );
    return;
  }

  const src: SecretSource = { cached: cachedSecret, client: ctx.client };
  const server = await ctx.get(PostgresServer, { name: spec.database.serverRef.name });
  const store = await ctx.get(ObjectStore, { name: spec.storage.objectStoreRef.name });
  const pg = await postgresAdmin(src, spec.database.serverRef.name, server);
  const s3 = await objectStoreAdmin(src, spec.storage.objectStoreRef.name, store);
  if (!pg.ok || !s3.ok || !store) {
    const why = [pg, s3].flatMap((r) => (r.ok ? [] : [r.message])).join('; ');
    const message =
      `deletionPolicy Delete: cannot drop the tenant's data yet: ${why}. The Registry stays until it can; ` +
      `to leave the data behind instead, set spec.deletionPolicy to Retain or remove the finalizer ${registryFinalizer}`;
    ctx.recorder.warning(reg, 'CleanupBlocked', message, 'Delete');
    throw new Error(message);
  }
  const bucket = bucketOf({ name, namespace, spec }, store);
  const result = await releaseTenantData('Delete', { postgres: pg.value, objectStore: s3.value }, tenantData(name, namespace, bucket));
  const deletedSecrets: string[] = [];
  for (const s of secrets) {
    try {
      await ctx.client.delete(Secret, { namespace, name: s });
      deletedSecrets.push(s);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  const dropped = result.policy === 'Delete' ? result.deleted : [];
  const objects = result.policy === 'Delete' ? result.deletedObjects : 0;
  const kept = result.policy === 'Delete' ? result.kept : [];
  ctx.recorder.normal(
    reg,
    'DataDeleted',
    `deletionPolicy Delete: deleted ${[...dropped, ...(deletedSecrets.length > 0 ? [`Secrets ${deletedSecrets.join(', ')}`] : [])].join(', ') || 'nothing (already gone)'}` +
      (objects > 0 ? ` (${objects} objects in the bucket)` : '') +
      (kept.length > 0 ? `; kept ${kept.join(', ')}` : ''),
    'Delete',
  );
}

function tenantData(name: string, namespace: string, bucket: string): TenantData {
  return {
    database: { database: tenantDatabaseName(namespace, name), role: tenantRoleName(namespace, name) },
    storage: { bucket, user: tenantStorageUserName(namespace, name), owner: tenantOwner(namespace, name) },
  };
}
