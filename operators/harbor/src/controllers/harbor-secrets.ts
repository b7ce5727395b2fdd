// Harbor's internal secrets (core/jobservice/registry secrets, CSRF key, token-signing key, the
// dedicated Redis password), the generated admin password and the 16-character encryption key:
// generated once, stored in Secrets, and from then on only ever read back. The encryption key
// is the one that must never change — Harbor encrypts the credentials it stores in its database
// with it — so a value is written only where none exists: a missing Secret is created (create
// fails if another writer got there first, it never overwrites) and a Secret lacking a key gets
// just that key, guarded by its resourceVersion. Apply is never used to *introduce* a value.
import type { RegistrySpec } from '../api/registry.js';
import { labels, type Component } from '../render/labels.js';
import { registryNames } from '../render/names.js';
import { retainWithDataAnnotation } from '../render/secret-manifests.js';
import { adminPasswordKey, encryptionKeyKey, internalSecretKeys } from '../render/secret-keys.js';
import { generateHarborSecrets, type HarborSecrets } from '../render/secrets.js';
import { readSecret, secretValue, type SecretSource } from './secret-reader.js';
import { writeSecretData } from './secret-writes.js';

export interface RegistryIdentity {
  name: string;
  namespace: string;
  spec: RegistrySpec;
}

type Field = keyof HarborSecrets;

// Values that are only valid together: a key and its certificate, a password and its hash.
const pairs: Field[][] = [
  ['tokenKey', 'tokenCert'],
  ['registryPassword', 'registryHtpasswd'],
];

interface Slot {
  secret: string;
  component: Component;
  retainWithData: boolean;
  fields: [Field, string][];
}

function slots(r: RegistryIdentity): Slot[] {
  const names = registryNames(r.name);
  const out: Slot[] = [
    { secret: names.internalSecret, component: 'harbor', retainWithData: false, fields: Object.entries(internalSecretKeys) as [Field, string][] },
  ];
  if (!r.spec.adminPasswordSecretRef) out.push({ secret: names.adminSecret, component: 'core', retainWithData: false, fields: [['adminPassword', adminPasswordKey]] });
  if (!r.spec.encryptionKeySecretRef) {
    out.push({ secret: names.encryptionKeySecret, component: 'core', retainWithData: true, fields: [['encryptionKey', encryptionKeyKey]] });
  }
  return out;
}

export interface HarborSecretsResult {
  secrets: HarborSecrets;
  /** Secrets this call created or completed (empty on every reconcile after the first). */
  written: string[];
}

/**
 * Reads the generated secrets, generating and storing only what is missing. Values of the
 * user's own Secrets (spec.adminPasswordSecretRef, spec.encryptionKeySecretRef) are not read:
 * pods take those directly; their fields are returned empty.
 */
export async function ensureHarborSecrets(
  src: SecretSource,
  r: RegistryIdentity,
  opts: { fieldManager: string; generate?: () => Promise<HarborSecrets> },
): Promise<HarborSecretsResult> {
  const layout = slots(r);
  const current = await Promise.all(layout.map((s) => readSecret(src, { namespace: r.namespace, name: s.secret })));
  const values: Partial<Record<Field, string>> = {};
  const missing = new Set<Field>();
  layout.forEach((slot, i) => {
    for (const [field, key] of slot.fields) {
      const v = secretValue(current[i], key);
      if (v === undefined) missing.add(field);
      else values[field] = v;
    }
  });
  for (const pair of pairs) if (pair.some((f) => missing.has(f))) for (const f of pair) missing.add(f);

  const written: string[] = [];
  if (missing.size > 0) {
    const fresh = await (opts.generate ?? (() => generateHarborSecrets()))();
    for (const f of missing) values[f] = fresh[f];
    for (const [i, slot] of layout.entries()) {
      const absent = slot.fields.filter(([f]) => missing.has(f));
      if (absent.length === 0) continue;
      await writeSecretData(
        src,
        {
          namespace: r.namespace,
          name: slot.secret,
          labels: labels(r.name, slot.component),
          ...(slot.retainWithData ? { annotations: { [retainWithDataAnnotation]: 'true' } } : {}),
        },
        current[i],
        Object.fromEntries(absent.map(([f, key]) => [key, values[f] ?? ''])),
        opts.fieldManager,
      );
      written.push(slot.secret);
    }
  }
  const secrets: HarborSecrets = {
    coreSecret: '',
    jobserviceSecret: '',
    registryHttpSecret: '',
    registryPassword: '',
    registryHtpasswd: '',
    csrfKey: '',
    tokenKey: '',
    tokenCert: '',
    redisPassword: '',
    adminPassword: '',
    encryptionKey: '',
    ...values,
  };
  return { secrets, written };
}
