// The order in which an allocator tries a pool's free addresses. Every load balancer starts at
// its own place, derived from a hash of its UID, and walks forward (wrapping around), so a
// thousand allocators started at once mostly ask the apiserver for different addresses instead
// of all racing for the lowest free one. A collision is still harmless (AlreadyExists, try the
// next); spreading only keeps collisions rare. Pure: pools of any size (an IPv6 /64 included)
// are walked by index arithmetic, never materialised.
import { createHash } from 'node:crypto';
import { formatIp, parseIp } from '../ipam/address.js';
import type { Pool } from '../ipam/allocator.js';
import { intervalSize, subtractIntervals, type IpInterval } from '../ipam/range.js';

/** A stable, well-spread 64-bit number for a string. */
export function spreadOffset(seed: string): bigint {
  return createHash('sha256').update(seed).digest().readBigUInt64BE(0);
}

/** The pool's addresses not in `taken`, as intervals (v4 before v6), and how many there are. */
export function freeIntervals(pool: Pool, taken: Iterable<string>): { intervals: IpInterval[]; size: bigint } {
  const holes: IpInterval[] = [];
  for (const text of taken) {
    const ip = parseIp(text);
    if (ip !== undefined) holes.push({ family: ip.family, start: ip.value, end: ip.value });
  }
  const intervals = subtractIntervals(pool.free, holes);
  return { intervals, size: intervals.reduce((n, i) => n + intervalSize(i), 0n) };
}

function addressAt(intervals: readonly IpInterval[], index: bigint): string {
  let k = index;
  for (const i of intervals) {
    const n = intervalSize(i);
    if (k < n) return formatIp({ family: i.family, value: i.start + k });
    k -= n;
  }
  throw new RangeError(`index ${index} is beyond the free addresses`);
}

/**
 * Free addresses of `pool` (minus `taken`) in try-order for `seed`: starting at a hash-derived
 * position, then consecutive addresses, wrapping around; at most `limit` of them.
 */
export function* candidates(pool: Pool, taken: Iterable<string>, seed: string, limit: number): Generator<string> {
  const { intervals, size } = freeIntervals(pool, taken);
  if (size === 0n) return;
  const start = spreadOffset(seed) % size;
  const count = BigInt(limit) < size ? BigInt(limit) : size;
  for (let j = 0n; j < count; j++) yield addressAt(intervals, (start + j) % size);
}
