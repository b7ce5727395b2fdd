// The tenant's bucket on the shared object store and the tenant's own access key, which only
// reaches that bucket. The key pair exists only in the store's CreateAccessKey answer, so it is
// written to the tenant's storage Secret right away; the next reconcile hands it back to the
// provisioner, which keeps it while the store still knows it (and removes any key nobody holds).
// Readiness is a real HEAD of the bucket with the tenant's key.
import type { ObjectStore } from '../api/object-store.js';
import type { RegistrySpec } from '../api/registry.js';
import { probeBucket } from '../provision/probes.js';
import { BucketNotOwnedError, ensureTenantBucket, type ObjectStoreConnection, type TenantCredentials } from '../provision/s3.js';
import type { TenantStorage } from '../render/input.js';
import { labels } from '../render/labels.js';
import { registryNames, tenantBucketName, tenantOwner, tenantStorageUserName } from '../render/names.js';
import { retainWithDataAnnotation } from '../render/secret-manifests.js';
import { storageSecretKeys } from '../render/secret-keys.js';
import type { ProbeResult } from './registry-conditions.js';
import { readSecret, secretValue, type SecretSource } from './secret-reader.js';
import { writeSecretData } from './secret-writes.js';

export interface TenantBucketOutcome {
  storage: TenantStorage | undefined;
  probe: ProbeResult;
  /** What this call created on the store (for an event), e.g. `bucket b`, `storage user u`. */
  created: string[];
}

export function bucketOf(r: { name: string; namespace: string; spec: Pick<RegistrySpec, 'storage'> }, store: ObjectStore): string {
  return r.spec.storage.bucket ?? tenantBucketName(store.spec.bucketPrefix, r.namespace, r.name);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function reconcileTenantBucket(
  src: SecretSource,
  r: { name: string; namespace: string; spec: Pick<RegistrySpec, 'storage'> },
  store: ObjectStore,
  admin: ObjectStoreConnection,
  opts: { fieldManager: string; ensure: boolean },
): Promise<TenantBucketOutcome> {
  const secretName = registryNames(r.name).storageSecret;
  const bucket = bucketOf(r, store);
  const user = tenantStorageUserName(r.namespace, r.name);
  const stored = await readSecret(src, { namespace: r.namespace, name: secretName });
  const accessKey = secretValue(stored, storageSecretKeys.accessKey);
  const secretKey = secretValue(stored, storageSecretKeys.secretKey);
  let creds: TenantCredentials | undefined = accessKey && secretKey ? { accessKey, secretKey } : undefined;
  const storage = (c: TenantCredentials): TenantStorage => ({
    endpoint: store.spec.endpoint,
    region: store.spec.region,
    bucket,
    accessKey: c.accessKey,
    secretKey: c.secretKey,
    forcePathStyle: store.spec.forcePathStyle,
    skipTLSVerify: store.spec.skipTLSVerify,
  });
  if (creds && !opts.ensure) {
    const quick = await probeBucket(storage(creds));
    if (quick.ok) return { storage: storage(creds), probe: { status: 'True', reason: 'BucketReachable', message: quick.message }, created: [] };
  }
  const created: string[] = [];
  try {
    const ensured = await ensureTenantBucket(admin, { bucket, user, owner: tenantOwner(r.namespace, r.name) }, creds);
    if (ensured.createdBucket) created.push(`bucket ${bucket}`);
    if (ensured.createdUser) created.push(`storage user ${user}`);
    if (ensured.newKey || !creds) {
      await writeSecretData(
        src,
        { namespace: r.namespace, name: secretName, labels: labels(r.name, 'registry'), annotations: { [retainWithDataAnnotation]: 'true' } },
        stored,
        { [storageSecretKeys.accessKey]: ensured.credentials.accessKey, [storageSecretKeys.secretKey]: ensured.credentials.secretKey, [storageSecretKeys.bucket]: bucket },
        opts.fieldManager,
      );
    }
    creds = ensured.credentials;
  } catch (e) {
    if (e instanceof BucketNotOwnedError) {
      // The other tenant's name stays out of this tenant's status; the platform team finds the
      // holder from the bucket's owner marker.
      return {
        storage: undefined,
        created,
        probe: {
          status: 'False',
          reason: 'BucketNotOwned',
          message:
            `spec.storage.bucket ${bucket} on ObjectStore ${store.metadata.name} is not this Registry's ` +
            `(${e.holder !== undefined ? 'another Registry owns it' : 'it holds data Tugboat did not create'}); ` +
            `nothing was granted. Create a new Registry with another spec.storage.bucket, or without it to get a bucket of its own`,
        },
      };
    }
    return {
      storage: creds ? storage(creds) : undefined,
      created,
      probe: {
        status: 'False',
        reason: 'ProvisioningFailed',
        message: `could not create or update bucket ${bucket} and its user ${user} on ${store.spec.endpoint} with ObjectStore ${store.metadata.name}'s admin keys: ${message(e)}`,
      },
    };
  }
  const p = await probeBucket(storage(creds));
  return {
    storage: storage(creds),
    created,
    probe: p.ok ? { status: 'True', reason: 'BucketReachable', message: p.message } : { status: 'False', reason: p.reason, message: p.message },
  };
}
