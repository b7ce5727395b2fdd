// The one way the controller writes a value it generated or was handed once (a password, an
// access key, the encryption key) into a Secret: create the Secret if it does not exist — which
// fails rather than overwrites if another writer got there first — or merge the keys into the
// Secret as it was read, guarded by that read's resourceVersion. Either way a concurrent change
// surfaces as SecretRaceError and the reconcile starts over from a fresh read.
import { isAlreadyExists, isConflict, Secret, type ObjectMeta } from '@tugboat/runtime';
import type { SecretSource } from './secret-reader.js';

export class SecretRaceError extends Error {
  constructor(secret: string) {
    super(`Secret ${secret} changed while the operator was writing it; retrying`);
    this.name = 'SecretRaceError';
  }
}

export async function writeSecretData(
  src: SecretSource,
  target: { namespace: string; name: string; labels: Record<string, string>; annotations?: Record<string, string> },
  existing: Secret | undefined,
  values: Record<string, string>,
  fieldManager: string,
): Promise<void> {
  const data = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
  try {
    if (!existing) {
      const metadata: ObjectMeta = { name: target.name, namespace: target.namespace, labels: target.labels };
      if (target.annotations) metadata.annotations = target.annotations;
      await src.client.create(Secret, { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', data }, { fieldManager });
    } else {
      await src.client.patch(
        Secret,
        { namespace: target.namespace, name: target.name },
        { metadata: { resourceVersion: existing.metadata.resourceVersion }, data },
        'merge',
        { fieldManager },
      );
    }
  } catch (e) {
    if (isAlreadyExists(e) || isConflict(e)) throw new SecretRaceError(`${target.namespace}/${target.name}`);
    throw e;
  }
}
