// Names of generated objects: `<owner>-<suffix>`, and when that is longer than the limit (63
// for labels, Services and most DNS-label names), a prefix plus a short hash of the full name.
// The hash keeps two long owners that share a prefix from colliding, and keeps the name stable
// across reconciles (no randomness), which server-side apply relies on.
import { createHash } from 'node:crypto';

export const DNS_LABEL_MAX = 63;
export const DNS_SUBDOMAIN_MAX = 253;

const HASH_LEN = 8;

export function shortHash(s: string, len = HASH_LEN): string {
  return createHash('sha256').update(s).digest('hex').slice(0, len);
}

/**
 * `name` if it fits in `max`, else its first characters, a dash and an 8-character hash of the
 * whole name. Trailing dashes and dots are trimmed from the cut so the result stays a valid
 * DNS label/subdomain when the input was one.
 */
export function truncateName(name: string, max = DNS_LABEL_MAX): string {
  if (max < HASH_LEN + 2) throw new RangeError(`truncateName: max must be at least ${HASH_LEN + 2}`);
  if (name.length <= max) return name;
  const head = name.slice(0, max - HASH_LEN - 1).replace(/[-.]+$/, '');
  return `${head}-${shortHash(name)}`;
}

/** `<owner>-<suffix>` bounded to `max` characters (see truncateName). */
export function childName(owner: string, suffix: string, max = DNS_LABEL_MAX): string {
  return truncateName(suffix === '' ? owner : `${owner}-${suffix}`, max);
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 label: what most object names and all label values that are names must be. */
export function isDnsLabel(s: string): boolean {
  return s.length <= DNS_LABEL_MAX && dnsLabel.test(s);
}
