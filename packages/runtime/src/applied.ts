// "Skip the write when nothing changed", for server-side apply from a cache.
//
// A controller applies what it wants (the desired object) on every reconcile. Most reconciles
// change nothing, and an apply that changes nothing still costs a PATCH, an admission pass
// and an etcd read. So before applying we ask two questions of the cached object:
//
//  1. Does it hold every field we set, with our values? (`covers`: only fields present in the
//     desired object are compared; defaults the apiserver filled in and fields other managers
//     own are ignored.) This catches drift: someone edited a field we own.
//  2. Is the desired object the same as the one we applied last time? Answered by a hash of
//     the desired object stored in an annotation when we apply. This catches fields we
//     *stopped* setting (which apply would remove, but a subset compare cannot see), and it is
//     the only check possible for metadata-only caches, which hold no spec or data to compare.
//
// Both true: skip. Otherwise apply; the cost of a false "changed" is one harmless no-op apply.
// Known causes of that: values the apiserver normalizes (write `cpu: 500m`, not `0.5`) and
// lists other managers add entries to.
import { createHash } from 'node:crypto';
import type { KubeObject } from './object.js';

export const APPLIED_HASH_ANNOTATION = 'tugboat.dev/applied-hash';

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v;
}

/** A short stable hash of `obj` without its own hash annotation (key order does not matter). */
export function appliedHash(obj: KubeObject): string {
  const annotations = { ...obj.metadata.annotations };
  delete annotations[APPLIED_HASH_ANNOTATION];
  const copy = { ...obj, metadata: { ...obj.metadata, annotations } };
  return createHash('sha256').update(JSON.stringify(canonical(copy))).digest('base64url').slice(0, 22);
}

/** `obj` with the hash annotation set (a copy). */
export function withAppliedHash<T extends KubeObject>(obj: T): T {
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [APPLIED_HASH_ANNOTATION]: appliedHash(obj) } } };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * True when every field set in `desired` has the same value in `actual`. Objects compare key by
 * key (extra keys in `actual` are fine); lists compare element by element and must have the
 * same length, except lists of objects with a `uid` (owner references), which match by uid so
 * references others added do not count; `null` in desired means "absent".
 */
export function covers(desired: unknown, actual: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null) return actual === undefined || actual === null;
  if (Array.isArray(desired)) {
    if (!Array.isArray(actual)) return false;
    const byUid = desired.length > 0 && desired.every((d) => isRecord(d) && typeof d.uid === 'string');
    if (byUid) {
      return desired.every((d) => {
        const uid = (d as { uid: string }).uid;
        const match = actual.find((a) => isRecord(a) && a.uid === uid);
        return match !== undefined && covers(d, match);
      });
    }
    return desired.length === actual.length && desired.every((d, i) => covers(d, actual[i]));
  }
  if (isRecord(desired)) {
    if (!isRecord(actual)) return false;
    for (const [k, v] of Object.entries(desired)) if (!covers(v, actual[k])) return false;
    return true;
  }
  return desired === actual;
}

/**
 * Whether applying `desired` (already carrying its hash annotation) would change nothing,
 * judged from the cached object. With a metadata-only cache only metadata is compared.
 */
export function isUpToDate(desired: KubeObject, cached: KubeObject | undefined, opts: { metadataOnly?: boolean } = {}): boolean {
  if (!cached) return false;
  if (!covers(desired.metadata, cached.metadata)) return false;
  if (opts.metadataOnly) return true;
  for (const [k, v] of Object.entries(desired)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
    if (!covers(v, (cached as unknown as Record<string, unknown>)[k])) return false;
  }
  return true;
}
