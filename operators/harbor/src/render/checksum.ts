// Checksums that go into pod template annotations. A pod reads its configuration only at start,
// so when a ConfigMap or Secret it uses changes, the template must change too for the Deployment
// to roll; hashing the content into an annotation does exactly that, and nothing else.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal content always hashes equally. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function checksum(...parts: unknown[]): string {
  return createHash('sha256').update(stableStringify(parts)).digest('hex');
}

export const checksumAnnotation = 'checksum.registry.tugboat.dev/config';
