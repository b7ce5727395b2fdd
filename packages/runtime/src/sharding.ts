// Horizontal sharding: N managers split a fleet of objects so each reconciles about 1/N of it.
// An object belongs to shard `fnv1a(namespace/name) mod N`, unless it carries the label
// `tugboat.dev/shard=<i>`, which pins it (to move a hot object, or to drain a shard by hand).
// Shards are decided on the *primary* key, and children are mapped to their owner's key by
// Owns(), so an owner and everything it owns are always reconciled by the same shard.
//
// Each manager still watches the whole kind: the filter runs when events are turned into work
// items. That keeps shards independent (no coordinator, no relabelling webhook) at the cost of
// every shard caching every object. Each shard runs its own leader election (`<id>-shard-<i>`),
// so a shard can have a warm standby of its own.
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

export interface ShardSelector {
  readonly index: number;
  readonly count: number;
  readonly label: string;
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
    owns(obj) {
      const pin = obj.metadata.labels?.[label];
      if (pin !== undefined && /^\d+$/.test(pin) && Number(pin) < count) return Number(pin) === index;
      return ownsKey(keyOf(obj));
    },
    pinnedSelector: () => `${label}=${index}`,
  };
}
