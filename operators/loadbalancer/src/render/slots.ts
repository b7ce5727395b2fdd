// Server slots. Each pool is rendered with a fixed number of `server` lines; members fill some,
// the rest wait in maintenance. Adding, removing or re-weighting a member then changes only the
// address, weight or state of a slot, which the agent applies through the runtime API without a
// reload. A reload is needed only when the slot count itself changes.
//
// Members are placed by a hash of address:port ("home" slot) with linear probing, in order of
// home slot. In that order a removal can only move members that had been pushed past their home
// by a collision, and only back towards it: a member sitting in its home slot keeps it while
// others come and go. Slot names are therefore stable, and so are the persistence cookies that
// carry them.

export interface SlotMember {
  address: string;
  port: number;
  weight: number;
}

export interface Slot {
  /** Server name in haproxy.cfg: s1…sN for normal members, b1…bM for backups. */
  name: string;
  member?: SlotMember;
}

export const minimumSlots = 8;
/** A pool larger than this is a configuration mistake, not a load balancer. */
export const maximumSlots = 4096;

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** How many slots a pool with `members` members gets. */
export function slotCount(members: number, minimum = minimumSlots): number {
  return Math.max(minimum, nextPowerOfTwo(members));
}

/** The slot index a member would take in a pool of `count` slots if nothing collided with it. */
export function homeSlot(member: { address: string; port: number }, count: number): number {
  return fnv1a(`${member.address}:${member.port}`) % count;
}

/** Places members into `count` slots named `<prefix>1`…; deterministic for a set of members, whatever its order. */
export function assignSlots(members: readonly SlotMember[], count: number, prefix: string): Slot[] {
  if (members.length > count) throw new RangeError(`${members.length} members do not fit in ${count} slots`);
  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({ name: `${prefix}${i + 1}` }));
  const placed = members.map((m) => ({ m, key: `${m.address}:${m.port}`, home: fnv1a(`${m.address}:${m.port}`) % count }));
  placed.sort((a, b) => a.home - b.home || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const { m, home } of placed) {
    let i = home;
    while (slots[i]?.member !== undefined) i = (i + 1) % count;
    const slot = slots[i];
    if (slot) slot.member = m;
  }
  return slots;
}
