// The Secrets the operator writes for a Registry, and reading the generated ones back. The
// internal secrets are generated once (render/secrets.ts) and stored; every later reconcile
// reads them from the cluster and renders the same objects again, so applying is idempotent.
import type { Secret } from '@tugboat/runtime/kinds';
import type { RenderInput } from './input.js';
import { registryNames } from './names.js';
import { redisConf } from './redis-config.js';
import { adminPasswordKey, databaseSecretKeys, encryptionKeyKey, internalSecretKeys, storageSecretKeys } from './secret-keys.js';
import type { HarborSecrets } from './secrets.js';
import { ownerOf, secret } from './workload.js';

/**
 * Set on Secrets that belong with the tenant's data rather than with its pods: the encryption
 * key and the credentials of the database and bucket. Under deletionPolicy Retain the controller
 * keeps them when the Registry goes, since the retained data is useless without them.
 */
export const retainWithDataAnnotation = 'registry.tugboat.dev/retain-with-data';

export function renderInternalSecret(input: RenderInput): Secret {
  const s = input.secrets;
  const names = registryNames(input.registry.name);
  const data: Record<string, string> = {};
  for (const [field, key] of Object.entries(internalSecretKeys) as [keyof typeof internalSecretKeys, string][]) {
    data[key] = s[field];
  }
  return secret(ownerOf(input), names.internalSecret, 'harbor', data);
}

/** The generated admin password, unless the spec names a Secret for it. */
export function renderAdminSecret(input: RenderInput): Secret | undefined {
  if (input.registry.spec.adminPasswordSecretRef) return undefined;
  return secret(ownerOf(input), registryNames(input.registry.name).adminSecret, 'core', { [adminPasswordKey]: input.secrets.adminPassword });
}

/** The generated encryption key, unless the spec names a Secret for it. */
export function renderEncryptionKeySecret(input: RenderInput): Secret | undefined {
  if (input.registry.spec.encryptionKeySecretRef) return undefined;
  return secret(
    ownerOf(input),
    registryNames(input.registry.name).encryptionKeySecret,
    'core',
    { [encryptionKeyKey]: input.secrets.encryptionKey },
    { annotations: { [retainWithDataAnnotation]: 'true' } },
  );
}

export function renderDatabaseSecret(input: RenderInput): Secret {
  const d = input.database;
  const k = databaseSecretKeys;
  return secret(
    ownerOf(input),
    registryNames(input.registry.name).databaseSecret,
    'core',
    { [k.host]: d.host, [k.port]: String(d.port), [k.database]: d.database, [k.username]: d.username, [k.password]: d.password, [k.sslMode]: d.sslMode },
    { annotations: { [retainWithDataAnnotation]: 'true' } },
  );
}

export function renderStorageSecret(input: RenderInput): Secret {
  const s = input.storage;
  const k = storageSecretKeys;
  return secret(
    ownerOf(input),
    registryNames(input.registry.name).storageSecret,
    'registry',
    { [k.endpoint]: s.endpoint, [k.region]: s.region, [k.bucket]: s.bucket, [k.accessKey]: s.accessKey, [k.secretKey]: s.secretKey },
    { annotations: { [retainWithDataAnnotation]: 'true' } },
  );
}

/** redis.conf of the dedicated Redis (it holds requirepass), when the cache is Dedicated. */
export function renderRedisSecret(input: RenderInput): Secret | undefined {
  if (input.registry.spec.cache.mode !== 'Dedicated') return undefined;
  return secret(ownerOf(input), registryNames(input.registry.name).redis, 'redis', { 'redis.conf': redisConf(input) });
}

function decode(secret: Secret | undefined, key: string): string | undefined {
  const v = secret?.data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

export type StoredSecrets = { ok: true; secrets: HarborSecrets } | { ok: false; missing: string[] };

/**
 * Reads generated secrets back from the Secrets rendered above. `missing` lists the keys that
 * are absent, which for a fresh Registry is all of them: the controller then generates.
 * The admin password and encryption key are read only when the spec does not name a Secret of
 * the user's (then their values are never needed; pods read the user's Secret directly).
 */
export function readStoredSecrets(o: { internal?: Secret; admin?: Secret; encryptionKey?: Secret; needAdmin: boolean; needEncryptionKey: boolean }): StoredSecrets {
  const missing: string[] = [];
  const values: Partial<HarborSecrets> = {};
  for (const [field, key] of Object.entries(internalSecretKeys) as [keyof typeof internalSecretKeys, string][]) {
    const v = decode(o.internal, key);
    if (v === undefined || v === '') missing.push(key);
    else values[field] = v;
  }
  values.adminPassword = decode(o.admin, adminPasswordKey) ?? '';
  if (o.needAdmin && values.adminPassword === '') missing.push(adminPasswordKey);
  values.encryptionKey = decode(o.encryptionKey, encryptionKeyKey) ?? '';
  if (o.needEncryptionKey && values.encryptionKey === '') missing.push(encryptionKeyKey);
  return missing.length > 0 ? { ok: false, missing } : { ok: true, secrets: values as HarborSecrets };
}
