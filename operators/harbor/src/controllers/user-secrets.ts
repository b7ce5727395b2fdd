// Secrets the user owns and Harbor's pods read (the admin password, the encryption key, the
// external cache's password). The renderers never see their values — pods take them through
// secretKeyRef — but when one changes the pods must restart to read it, so the controller folds
// a digest of them into the pod-template checksums. Only the digest leaves this module.
import { createHash } from 'node:crypto';
import type { RegistrySpec } from '../api/registry.js';
import { readSecret, secretValue, type SecretSource } from './secret-reader.js';

export interface UserSecretsDigest {
  digest: string | undefined;
  /** Keys the spec names that do not exist; pods would fail to start without them. */
  missing: string[];
  /** Problems with values that exist, e.g. an encryption key that is not 16 characters. */
  invalid: string[];
}

export async function userSecretsDigest(src: SecretSource, r: { namespace: string; spec: RegistrySpec }): Promise<UserSecretsDigest> {
  const refs: [string, { name: string; key: string } | undefined][] = [
    ['spec.adminPasswordSecretRef', r.spec.adminPasswordSecretRef],
    ['spec.encryptionKeySecretRef', r.spec.encryptionKeySecretRef],
    ['spec.cache.external.passwordSecretRef', r.spec.cache.mode === 'External' ? r.spec.cache.external?.passwordSecretRef : undefined],
  ];
  const named = refs.filter((x): x is [string, { name: string; key: string }] => x[1] !== undefined);
  if (named.length === 0) return { digest: undefined, missing: [], invalid: [] };
  const h = createHash('sha256');
  const missing: string[] = [];
  const invalid: string[] = [];
  for (const [field, ref] of named) {
    const value = secretValue(await readSecret(src, { namespace: r.namespace, name: ref.name }), ref.key);
    if (value === undefined) missing.push(`${field} (Secret ${r.namespace}/${ref.name}, key ${ref.key})`);
    else if (field === 'spec.encryptionKeySecretRef' && value.length !== 16) {
      invalid.push(`${field}: the key in Secret ${r.namespace}/${ref.name} (key ${ref.key}) is ${value.length} characters long; Harbor needs exactly 16`);
    }
    h.update(`${field}\0${ref.name}\0${ref.key}\0${value ?? ''}\0`);
  }
  return { digest: h.digest('hex'), missing, invalid };
}
