// What happens to a tenant's data on the shared services when its Registry is deleted, by
// spec.deletionPolicy: Delete drops the database and role and deletes the bucket, its objects and
// the tenant's storage identity; Retain leaves every one of them in place (their credentials are
// kept in the Secrets marked retain-with-data) and reports what was kept, for the event that says so.
import { dropTenantDatabase, type PostgresConnection } from './postgres.js';
import { deleteTenantBucket, type ObjectStoreConnection } from './s3.js';

export interface TenantData {
  database: { database: string; role: string };
  storage: { bucket: string; user: string; owner: string };
}

export type ReleaseResult =
  | { policy: 'Retain'; retained: string[] }
  | { policy: 'Delete'; deleted: string[]; deletedObjects: number; kept: string[] };

export function describeTenantData(t: TenantData): string[] {
  return [`database ${t.database.database}`, `role ${t.database.role}`, `bucket ${t.storage.bucket}`, `storage user ${t.storage.user}`];
}

export async function releaseTenantData(
  policy: 'Retain' | 'Delete',
  services: { postgres: PostgresConnection; objectStore: ObjectStoreConnection },
  t: TenantData,
): Promise<ReleaseResult> {
  if (policy === 'Retain') return { policy, retained: describeTenantData(t) };
  const db = await dropTenantDatabase(services.postgres, t.database);
  const bucket = await deleteTenantBucket(services.objectStore, t.storage);
  const deleted = [
    ...(db.droppedDatabase ? [`database ${t.database.database}`] : []),
    ...(db.droppedRole ? [`role ${t.database.role}`] : []),
    ...(bucket.deletedBucket ? [`bucket ${t.storage.bucket}`] : []),
    ...(bucket.deletedUser ? [`storage user ${t.storage.user}`] : []),
  ];
  // A bucket whose owner marker does not name this tenant was never this tenant's to delete.
  const kept = bucket.notOwned ? [`bucket ${t.storage.bucket} (it is not marked as this Registry's)`] : [];
  return { policy, deleted, deletedObjects: bucket.deletedObjects, kept };
}
