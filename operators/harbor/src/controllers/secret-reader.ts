// Reading Secrets the controller must not get wrong. The cache answers most reads; but a cache
// miss can mean "not yet seen" (just after a start, or right after this controller created it),
// and a controller that took it for "absent" would generate a second password or encryption key
// over the first. So a miss is confirmed with a live GET before anyone acts on it.
import { isNotFound, Secret, type Client, type ObjectKey } from '@tugboat/runtime';

export interface SecretSource {
  /** The cached Secret, or undefined when the cache has none. */
  cached(key: ObjectKey): Promise<Secret | undefined>;
  client: Client;
}

/** The Secret as the apiserver has it now, or undefined when it does not exist there. */
export async function readSecret(src: SecretSource, key: ObjectKey): Promise<Secret | undefined> {
  const hit = await src.cached(key);
  if (hit) return hit;
  try {
    return await src.client.get(Secret, key);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** The UTF-8 value of one key, or undefined when the Secret or the key is absent or empty. */
export function secretValue(secret: Secret | undefined, key: string): string | undefined {
  const b64 = secret?.data?.[key];
  if (b64 !== undefined && b64 !== '') return Buffer.from(b64, 'base64').toString('utf8');
  const plain = secret?.stringData?.[key];
  return plain === undefined || plain === '' ? undefined : plain;
}
