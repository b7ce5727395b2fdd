import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalIp, formatIp, parseIp } from '../src/ipam/address.js';
import { parseCidr, formatCidr, parseRange, subtractIntervals, mergeIntervals } from '../src/ipam/range.js';
import { allocate, parsePool, poolCapacity, poolContains, type Pool } from '../src/ipam/allocator.js';
import { sortByAddress } from '../src/controllers/ippool.js';

function pool(addresses: string[], exclude?: string[]): Pool {
  const r = parsePool({ addresses, exclude });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('; '));
  return r.pool;
}

test('addresses parse strictly and print canonically', () => {
  assert.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
  assert.equal(canonicalIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(canonicalIp('::'), '::');
  assert.equal(canonicalIp('::1'), '::1');
  assert.equal(canonicalIp('1::'), '1::');
  assert.equal(canonicalIp('::ffff:10.1.2.3'), '::ffff:a01:203');
  assert.equal(canonicalIp('2001:db8:0:1:0:0:0:0'), '2001:db8:0:1::');
  assert.equal(canonicalIp('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
  assert.equal(canonicalIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  for (const bad of ['010.0.0.1', '256.0.0.1', '1.2.3', '1.2.3.4 ', ' 1.2.3.4', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', '1.2.3.4::', 'fe80::1%eth0', '', 'a.b.c.d']) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('formatIp round-trips every parsed address (property)', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
      const ip = parseIp(text);
      assert.ok(ip, text);
      const again = parseIp(formatIp(ip));
      assert.deepEqual(again, ip);
    }),
    { numRuns: 500 },
  );
});

test('CIDRs must have zero host bits; ranges must be ordered and of one family', () => {
  assert.equal(formatCidr(parseCidr('10.0.0.0/24')!), '10.0.0.0/24');
  assert.equal(formatCidr(parseCidr('2001:db8::/32')!), '2001:db8::/32');
  assert.equal(parseCidr('10.0.0.5/24'), undefined);
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0/024'), undefined);
  assert.equal(parseCidr('10.0.0.0'), undefined);
  assert.ok(parseRange('10.0.0.1-10.0.0.9'));
  assert.equal(parseRange('10.0.0.9-10.0.0.1'), undefined);
  assert.equal(parseRange('10.0.0.1-::1'), undefined);
});

test('interval subtraction leaves exactly the uncovered addresses', () => {
  const v4 = (s: number, e: number) => ({ family: 4 as const, start: BigInt(s), end: BigInt(e) });
  assert.deepEqual(subtractIntervals([v4(0, 9)], [v4(2, 3), v4(5, 5), v4(9, 20)]), [v4(0, 1), v4(4, 4), v4(6, 8)]);
  assert.deepEqual(mergeIntervals([v4(5, 6), v4(0, 4), v4(8, 9)]), [v4(0, 6), v4(8, 9)]);
});

test('a /24 offers 254 addresses and a /22 1022: network and broadcast are left out', () => {
  assert.equal(poolCapacity(pool(['127.0.10.0/24'])), 254n);
  assert.equal(poolCapacity(pool(['10.0.0.0/22'])), 1022n);
  assert.equal(poolCapacity(pool(['10.0.0.0/31'])), 2n);
  assert.equal(poolCapacity(pool(['10.0.0.7/32'])), 1n);
  assert.equal(poolCapacity(pool(['10.0.0.10-10.0.0.19'])), 10n);
  assert.equal(poolContains(pool(['127.0.10.0/24']), '127.0.10.0'), false);
  assert.equal(poolContains(pool(['127.0.10.0/24']), '127.0.10.255'), false);
  assert.equal(poolContains(pool(['127.0.10.0/24']), '127.0.10.1'), true);
});

test('invalid pool entries are reported with their field path', () => {
  const r = parsePool({ addresses: ['10.0.0.1/24', '10.0.0.0/24'], exclude: ['nope'] });
  assert.equal(r.ok, false);
  assert.ok(!r.ok);
  assert.match(r.errors[0]!, /^spec\.addresses\[0\]: "10\.0\.0\.1\/24"/);
  assert.match(r.errors[1]!, /^spec\.exclude\[0\]: "nope"/);
});

test('first-free allocation is deterministic and skips exclusions and allocated addresses', () => {
  const p = pool(['10.0.0.0/29', '10.0.1.0-10.0.1.1'], ['10.0.0.2', '10.0.0.4-10.0.0.5']);
  assert.deepEqual(allocate(p, []), { ok: true, address: '10.0.0.1' });
  assert.deepEqual(allocate(p, ['10.0.0.1']), { ok: true, address: '10.0.0.3' });
  assert.deepEqual(allocate(p, ['10.0.0.1', '10.0.0.3']), { ok: true, address: '10.0.0.6' });
  assert.deepEqual(allocate(p, ['10.0.0.1', '10.0.0.3', '10.0.0.6']), { ok: true, address: '10.0.1.0' });
  const all = ['10.0.0.1', '10.0.0.3', '10.0.0.6', '10.0.1.0', '10.0.1.1'];
  const r = allocate(p, all);
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.reason === 'PoolExhausted');
  assert.match(r.message, /no free address/);
  // A freed address is handed out again, lowest first.
  assert.deepEqual(allocate(p, all.filter((a) => a !== '10.0.0.3')), { ok: true, address: '10.0.0.3' });
});

test('a requested address is honoured only when it is in the pool and free', () => {
  const p = pool(['10.0.0.0/24'], ['10.0.0.100']);
  assert.deepEqual(allocate(p, ['10.0.0.1'], { requested: '10.0.0.50' }), { ok: true, address: '10.0.0.50' });
  const r1 = allocate(p, ['10.0.0.50'], { requested: '10.0.0.50' });
  assert.ok(!r1.ok && r1.reason === 'RequestedAddressInUse');
  const r2 = allocate(p, [], { requested: '10.0.0.100' });
  assert.ok(!r2.ok && r2.reason === 'RequestedAddressNotInPool');
  const r3 = allocate(p, [], { requested: '10.0.1.1' });
  assert.ok(!r3.ok && r3.reason === 'RequestedAddressNotInPool');
  const r4 = allocate(p, [], { requested: 'ten' });
  assert.ok(!r4.ok && r4.reason === 'InvalidRequestedAddress');
});

test('IPv6 pools allocate canonical addresses and in-use spellings are normalised', () => {
  const p = pool(['2001:db8::/126']);
  assert.deepEqual(allocate(p, []), { ok: true, address: '2001:db8::1' });
  assert.deepEqual(allocate(p, ['2001:DB8:0:0:0:0:0:1']), { ok: true, address: '2001:db8::2' });
  const mixed = pool(['10.0.0.0/30', '2001:db8::/126']);
  assert.deepEqual(allocate(mixed, [], { family: 6 }), { ok: true, address: '2001:db8::1' });
  assert.deepEqual(allocate(mixed, ['10.0.0.1', '10.0.0.2']), { ok: true, address: '2001:db8::1' });
});

test('allocating one at a time from a /22 gives 1022 distinct addresses, then exhaustion (1000 LBs fit)', () => {
  const p = pool(['10.20.0.0/22']);
  const taken: string[] = [];
  for (;;) {
    const r = allocate(p, taken);
    if (!r.ok) {
      assert.equal(r.reason, 'PoolExhausted');
      break;
    }
    taken.push(r.address);
  }
  assert.equal(taken.length, 1022);
  assert.equal(new Set(taken).size, 1022);
  assert.ok(taken.every((a) => poolContains(p, a)));
});

test('allocation never returns an excluded, taken or out-of-pool address (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 24, max: 30 }),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 10 }),
      (prefix, takenOctets, excludedOctets) => {
        const p = pool([`192.168.7.0/${prefix}`], excludedOctets.map((o) => `192.168.7.${o}`));
        const taken = takenOctets.map((o) => `192.168.7.${o}`);
        const r = allocate(p, taken);
        if (!r.ok) {
          // Exhausted: every usable address must really be taken or excluded.
          const size = 2 ** (32 - prefix) - 2;
          const blocked = new Set([...taken, ...excludedOctets.map((o) => `192.168.7.${o}`)]);
          for (let o = 1; o <= size; o++) assert.ok(blocked.has(`192.168.7.${o}`));
          return;
        }
        assert.ok(poolContains(p, r.address));
        assert.ok(!taken.includes(r.address));
        assert.ok(!excludedOctets.map((o) => `192.168.7.${o}`).includes(r.address));
      },
    ),
    { numRuns: 300 },
  );
});

test('pool status orders allocations by address: IPv4 before IPv6, numerically, unparsable last', () => {
  const items = ['10.0.0.10', '2001:db8::2', '10.0.0.9', '2001:db8::10', '9.255.255.255', 'junk'].map((address) => ({ address }));
  assert.deepEqual(
    sortByAddress(items).map((i) => i.address),
    ['9.255.255.255', '10.0.0.9', '10.0.0.10', '2001:db8::2', '2001:db8::10', 'junk'],
  );
  fc.assert(
    fc.property(fc.array(fc.ipV4(), { maxLength: 50 }), (ips) => {
      const sorted = sortByAddress(ips.map((address) => ({ address }))).map((i) => parseIp(i.address)!.value);
      return sorted.every((v, i) => i === 0 || sorted[i - 1]! <= v);
    }),
  );
});
