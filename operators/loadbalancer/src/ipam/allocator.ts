// The pure core of address allocation. It decides; it does not remember. The controller
// persists what was decided (IPPool status / allocation objects) and passes everything already
// taken back in, so the same inputs always give the same address: two controllers that race
// compute the same answer, and the apiserver's optimistic concurrency picks one writer.
import { formatIp, parseIp, type IpFamily } from './address.js';
import { cidrInterval, intervalSize, parseAddressSet, parseCidr, subtractIntervals, type IpInterval } from './range.js';

export interface PoolSpec {
  /** CIDRs ("10.0.0.0/24") or inclusive ranges ("10.0.0.10-10.0.0.20"). */
  addresses: readonly string[];
  /** Addresses, CIDRs or ranges never handed out. */
  exclude?: readonly string[] | undefined;
}

/** The addresses a pool may hand out, as sorted disjoint intervals. */
export interface Pool {
  free: readonly IpInterval[];
}

export type PoolParseResult = { ok: true; pool: Pool } | { ok: false; errors: string[] };

/**
 * In an IPv4 CIDR the network and broadcast addresses are not usable by a host, and in an IPv6
 * CIDR the first address is the subnet-router anycast (RFC 4291 §2.6.1): leave them out so a
 * /24 yields the 254 addresses users expect. Explicit ranges are taken literally.
 */
function usableInterval(text: string): IpInterval | undefined {
  if (!text.includes('/')) return parseAddressSet(text);
  const cidr = parseCidr(text);
  if (cidr === undefined) return undefined;
  const i = cidrInterval(cidr);
  if (cidr.family === 4 && cidr.prefix <= 30) return { ...i, start: i.start + 1n, end: i.end - 1n };
  if (cidr.family === 6 && cidr.prefix <= 126) return { ...i, start: i.start + 1n };
  return i;
}

export function parsePool(spec: PoolSpec): PoolParseResult {
  const errors: string[] = [];
  const include: IpInterval[] = [];
  const exclude: IpInterval[] = [];
  spec.addresses.forEach((text, i) => {
    const interval = usableInterval(text);
    if (interval === undefined) {
      errors.push(`spec.addresses[${i}]: "${text}" is not a CIDR with zero host bits (10.0.0.0/24) or a range (10.0.0.10-10.0.0.20)`);
    } else include.push(interval);
  });
  (spec.exclude ?? []).forEach((text, i) => {
    const interval = parseAddressSet(text);
    if (interval === undefined) {
      errors.push(`spec.exclude[${i}]: "${text}" is not an address, a CIDR or a range`);
    } else exclude.push(interval);
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, pool: { free: subtractIntervals(include, exclude) } };
}

export function poolCapacity(pool: Pool, family?: IpFamily): bigint {
  return pool.free.filter((i) => family === undefined || i.family === family).reduce((n, i) => n + intervalSize(i), 0n);
}

export function poolContains(pool: Pool, address: string): boolean {
  const ip = parseIp(address);
  if (ip === undefined) return false;
  return pool.free.some((i) => i.family === ip.family && i.start <= ip.value && ip.value <= i.end);
}

export type AllocationFailure =
  | 'PoolExhausted'
  | 'InvalidRequestedAddress'
  | 'RequestedAddressNotInPool'
  | 'RequestedAddressInUse';

export type AllocationResult =
  | { ok: true; address: string }
  | { ok: false; reason: AllocationFailure; message: string };

export interface AllocateOptions {
  /** A specific address the user asked for. */
  requested?: string | undefined;
  /** Restrict first-free allocation to one family. */
  family?: IpFamily | undefined;
}

/**
 * Picks an address: the requested one if it is in the pool and free, otherwise the lowest free
 * address (v4 before v6). `inUse` lists every address already allocated from this pool, in any
 * spelling; entries that are not addresses are ignored.
 */
export function allocate(pool: Pool, inUse: Iterable<string>, options: AllocateOptions = {}): AllocationResult {
  const taken: IpInterval[] = [];
  for (const text of inUse) {
    const ip = parseIp(text);
    if (ip !== undefined) taken.push({ family: ip.family, start: ip.value, end: ip.value });
  }
  if (options.requested !== undefined) {
    const ip = parseIp(options.requested);
    if (ip === undefined) {
      return { ok: false, reason: 'InvalidRequestedAddress', message: `requested address "${options.requested}" is not an IPv4 or IPv6 address` };
    }
    const text = formatIp(ip);
    if (!poolContains(pool, text)) {
      return { ok: false, reason: 'RequestedAddressNotInPool', message: `requested address ${text} is not in the pool (or is excluded); pick one from the pool's ranges or leave spec.address empty` };
    }
    if (taken.some((t) => t.family === ip.family && t.start === ip.value)) {
      return { ok: false, reason: 'RequestedAddressInUse', message: `requested address ${text} is already allocated to another load balancer; pick another or leave spec.address empty` };
    }
    return { ok: true, address: text };
  }
  const candidates = pool.free.filter((i) => options.family === undefined || i.family === options.family);
  const first = subtractIntervals(candidates, taken)[0];
  if (first === undefined) {
    return { ok: false, reason: 'PoolExhausted', message: 'the pool has no free address; free one by deleting a load balancer or add a range to the IPPool' };
  }
  return { ok: true, address: formatIp({ family: first.family, value: first.start }) };
}
