// Address sets as closed intervals [start, end] of one family. Pools, exclusions and CIDR
// allow-lists are all written as CIDRs, ranges or single addresses; they meet here.
import { bitLength, formatIp, maxValue, parseIp, type IpFamily } from './address.js';

export interface IpInterval {
  family: IpFamily;
  start: bigint;
  end: bigint;
}

export interface Cidr {
  family: IpFamily;
  /** The network address (host bits zero). */
  network: bigint;
  prefix: number;
}

const prefixPattern = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Parses "a.b.c.d/n" or "x::/n". Host bits must be zero: "10.0.0.5/24" is almost always a typo
 * for either the address or the network, and silently widening it would allow more than asked.
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (ip === undefined || !prefixPattern.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const bits = bitLength[ip.family];
  if (prefix > bits) return undefined;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((ip.value & hostMask) !== 0n) return undefined;
  return { family: ip.family, network: ip.value, prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ family: cidr.family, value: cidr.network })}/${cidr.prefix}`;
}

export function cidrInterval(cidr: Cidr): IpInterval {
  const hostBits = BigInt(bitLength[cidr.family] - cidr.prefix);
  return { family: cidr.family, start: cidr.network, end: cidr.network + (1n << hostBits) - 1n };
}

/** Parses "a-b" (inclusive, same family, a <= b). */
export function parseRange(text: string): IpInterval | undefined {
  const parts = text.split('-');
  if (parts.length !== 2) return undefined;
  const a = parseIp(parts[0] ?? '');
  const b = parseIp(parts[1] ?? '');
  if (a === undefined || b === undefined || a.family !== b.family || a.value > b.value) return undefined;
  return { family: a.family, start: a.value, end: b.value };
}

/** Parses a CIDR, a range or a single address into one interval. */
export function parseAddressSet(text: string): IpInterval | undefined {
  if (text.includes('/')) {
    const cidr = parseCidr(text);
    return cidr === undefined ? undefined : cidrInterval(cidr);
  }
  if (text.includes('-')) return parseRange(text);
  const ip = parseIp(text);
  return ip === undefined ? undefined : { family: ip.family, start: ip.value, end: ip.value };
}

export function intervalSize(i: IpInterval): bigint {
  return i.end - i.start + 1n;
}

export function intervalsOverlap(a: IpInterval, b: IpInterval): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

/** Sorts and merges overlapping or adjacent intervals, per family (v4 before v6). */
export function mergeIntervals(intervals: readonly IpInterval[]): IpInterval[] {
  const sorted = [...intervals].sort((a, b) =>
    a.family !== b.family ? a.family - b.family : a.start < b.start ? -1 : a.start > b.start ? 1 : 0,
  );
  const out: IpInterval[] = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last !== undefined && last.family === i.family && i.start <= last.end + 1n) {
      if (i.end > last.end) last.end = i.end;
    } else {
      out.push({ ...i });
    }
  }
  return out;
}

/** `from` minus `remove`; both may be unsorted. The result is sorted and merged. */
export function subtractIntervals(from: readonly IpInterval[], remove: readonly IpInterval[]): IpInterval[] {
  const holes = mergeIntervals(remove);
  const out: IpInterval[] = [];
  for (const base of mergeIntervals(from)) {
    let cursor = base.start;
    for (const h of holes) {
      if (h.family !== base.family || h.end < cursor || h.start > base.end) continue;
      if (h.start > cursor) out.push({ family: base.family, start: cursor, end: h.start - 1n });
      cursor = h.end + 1n;
      if (cursor > base.end) break;
    }
    if (cursor <= base.end && cursor <= maxValue[base.family]) out.push({ family: base.family, start: cursor, end: base.end });
  }
  return out;
}
