// Where each secret value a pod needs comes from: a Secret the operator generated, or one the
// user named in the spec. Pods always read them through secretKeyRef, so the renderers need the
// names only, never the values of the user's Secrets.
import type { RegistrySpec } from '../api/registry.js';
import type { RegistryNames } from './names.js';
import { adminPasswordKey, encryptionKeyKey, internalSecretKeys } from './secret-keys.js';

export interface SecretKeyRef {
  secret: string;
  key: string;
}

export function adminPasswordRef(spec: RegistrySpec, names: RegistryNames): SecretKeyRef {
  const ref = spec.adminPasswordSecretRef;
  return ref ? { secret: ref.name, key: ref.key } : { secret: names.adminSecret, key: adminPasswordKey };
}

export function encryptionKeyRef(spec: RegistrySpec, names: RegistryNames): SecretKeyRef {
  const ref = spec.encryptionKeySecretRef;
  return ref ? { secret: ref.name, key: ref.key } : { secret: names.encryptionKeySecret, key: encryptionKeyKey };
}

/** The cache password, or undefined for an external Redis without one. */
export function redisPasswordRef(spec: RegistrySpec, names: RegistryNames): SecretKeyRef | undefined {
  if (spec.cache.mode === 'External') {
    const ref = spec.cache.external?.passwordSecretRef;
    return ref ? { secret: ref.name, key: ref.key } : undefined;
  }
  return { secret: names.internalSecret, key: internalSecretKeys.redisPassword };
}
