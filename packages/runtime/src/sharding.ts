// Horizontal sharding: N managers split a fleet of objects so each reconciles about 1/N of it.
// An object belongs to shard `fnv1a(namespace/name) mod N`, unless it carries the label
// `tugboat.dev/shard=<i>`, which pins it (to move a hot object, or to drain a shard by hand).
// Shards are decided on the *primary* key, and children are mapped to their owner's key by
// Owns(), so an owner and everything it owns are always reconciled by the same shard.
//
// Two modes, one rule for who owns what:
//   hash  (`shard` option)     every manager watches the whole kind and the filter runs when
//                              events become work items: no webhook, no labels to maintain,
//                              but every shard caches every object.
//   label (`sharding` option)  the apiserver filters: For() watches `label=<i>` (plus, by
//                              default, the objects with no valid label, hash-filtered as
//                              above), and ctx.apply stamps the owner's shard on children so
//                              Owns() watches `label=<i>` too. A shard caches only its own
//                              objects once they are labelled: shardLabeler() stamps new ones
//                              at admission, relabelShards() the ones that already exist.
// The label value is the same hash, so labelling an object never moves it to another shard.
// Each shard runs its own leader election (`<id>-shard-<i>`), so a shard can have a warm
// standby of its own.
import type { KubeObject, ObjectKey } from './object.js';
import { keyOf } from './object.js';

export const SHARD_LABEL = 'tugboat.dev/shard';

export interface ShardOptions {
  /** This manager's shard, 0 ≤ index < count. */
  index: number;
  count: number;
  /** Label that pins an object to a shard. Default `tugboat.dev/shard`. */
  label?: string;
}

/** Label mode (see above): `Manager.create({ sharding: { shards, index } })`. */
export interface ShardingOptions {
  /** How many shards the fleet is split into. */
  shards: number;
  /** This manager's shard, 0 ≤ index < shards. */
  index: number;
  /** The shard label. Default `tugboat.dev/shard`. */
  label?: string;
  /**
   * Objects without a valid shard label: `hash` (default) watches them too, in every shard,
   * and keeps those whose hash is ours, so nothing is missed before they are labelled;
   * `ignore` does not watch them at all (every object must be labelled: the cache then holds
   * only this shard's objects).
   */
  unlabeled?: 'hash' | 'ignore';
}

export interface ShardSelector {
  readonly index: number;
  readonly count: number;
  readonly label: string;
  /** `hash`: filter events in process; `label`: the apiserver filters by the shard label. Absent means `hash`. */
  readonly mode?: 'hash' | 'label';
  /** Label mode: what happens to objects without a valid label (see ShardingOptions). */
  readonly unlabeled?: 'hash' | 'ignore';
  /** Whether this shard reconciles `obj` (by pin label, else by key hash). */
  owns(obj: KubeObject): boolean;
  /** Whether this shard reconciles the object named `key` when the object itself is not at hand. */
  ownsKey(key: ObjectKey | string): boolean;
  /** Label selector for objects pinned to this shard. */
  pinnedSelector(): string;
}

/** 32-bit FNV-1a over the UTF-8 bytes of `s`: cheap, stable across processes and versions. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The shard of the object named `key` among `count` shards (ignoring pin labels). */
export function shardOf(key: ObjectKey | string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError('shard count must be a positive integer');
  return fnv1a32(typeof key === 'string' ? key : keyOf(key)) % count;
}

/** The pin in `value` when it names one of `count` shards, else undefined (absent, malformed, out of range). */
export function validShardLabel(value: string | undefined, count: number): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n < count ? n : undefined;
}

/** The shard that reconciles `obj`: its valid pin label, else the hash of its key. */
export function shardFor(obj: KubeObject, count: number, label: string = SHARD_LABEL): number {
  return validShardLabel(obj.metadata.labels?.[label], count) ?? shardOf(keyOf(obj), count);
}

/** `base,extra`, or just one of them: label selectors are ANDed by commas. */
export function andSelectors(base: string | undefined, extra: string): string {
  return base === undefined || base.trim() === '' ? extra : `${base},${extra}`;
}

/** Selects the objects without a valid pin among `count` shards (absent or another value: `notin` matches both). */
export function unlabeledSelector(count: number, label: string = SHARD_LABEL): string {
  return `${label} notin (${Array.from({ length: count }, (_, i) => String(i)).join(',')})`;
}

export function shardSelector(opts: ShardOptions): ShardSelector {
  const { index, count } = opts;
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`shard ${index} of ${count}: need 0 <= index < count`);
  }
  const label = opts.label ?? SHARD_LABEL;
  const ownsKey = (key: ObjectKey | string) => shardOf(key, count) === index;
  return {
    index,
    count,
    label,
    ownsKey,
    owns: (obj) => shardFor(obj, count, label) === index,
    pinnedSelector: () => `${label}=${index}`,
  };
}

/** Label mode: the apiserver filters watches by the shard label (see the top of this file). */
export function labelShardSelector(opts: ShardingOptions): ShardSelector {
  const base = shardSelector({ index: opts.index, count: opts.shards, ...(opts.label !== undefined ? { label: opts.label } : {}) });
  return { ...base, mode: 'label', unlabeled: opts.unlabeled ?? 'hash' };
}

/**
 * The label selectors a label-mode shard watches its primary kind with, each ANDed with the
 * source's own selector: its labelled objects, plus (unlabeled: 'hash') the unlabelled ones,
 * which are then hash-filtered in process.
 */
export function primarySelectors(shard: ShardSelector, base: string | undefined): { labelSelector: string; hashFiltered: boolean }[] {
  const out = [{ labelSelector: andSelectors(base, shard.pinnedSelector()), hashFiltered: false }];
  if (shard.unlabeled !== 'ignore') out.push({ labelSelector: andSelectors(base, unlabeledSelector(shard.count, shard.label)), hashFiltered: true });
  return out;
}
