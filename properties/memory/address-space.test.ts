/**
 * The simulated address space behaves as plain byte-addressed memory: any sequence of
 * stores, fills, copies and 64-bit accesses reads back like a reference byte map, whether
 * the bytes lie in arena slots or in sparse pages, and arena mappings come and go.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { AddressSpace, MAX_SLOTS, SLOT_SIZE, poolFloor } from '../../src/memory/address-space.ts';

const ARENA_A = 0x7f0000401000; // 4 KiB but not 16 KiB aligned
const ARENA_B = 0x7f0000100000; // 1 MiB aligned
const RAW = 0x55d0c8a3e000;
const base = fc.constantFrom(ARENA_A, ARENA_B, ARENA_A + 1048576 - 40, RAW, RAW + 4090);
const op = fc.oneof(
  fc.record({ k: fc.constant('store8' as const), at: base, off: fc.integer({ min: 0, max: 200 }), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ k: fc.constant('write' as const), at: base, off: fc.integer({ min: 0, max: 200 }), data: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ k: fc.constant('fill' as const), at: base, off: fc.integer({ min: 0, max: 200 }), len: fc.integer({ min: 1, max: 5000 }), v: fc.constantFrom(0, 0xcd, 0xdd) }),
  fc.record({ k: fc.constant('copy' as const), at: base, off: fc.integer({ min: 0, max: 200 }), from: base, len: fc.integer({ min: 0, max: 300 }) }),
  fc.record({ k: fc.constant('store64' as const), at: base, off: fc.integer({ min: 0, max: 200 }), v: fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }) }),
  fc.record({ k: fc.constant('storePtr' as const), at: base, off: fc.integer({ min: 0, max: 200 }), v: fc.integer({ min: 0, max: 2 ** 47 }) }),
);

test('memory reads back what was stored, in arenas and in sparse pages', () => {
  fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
    const s = new AddressSpace();
    s.mapArena(3, ARENA_A);
    s.mapArena(0, ARENA_B);
    const ref = new Map<number, number>();
    const get = (a: number): number => ref.get(a) ?? 0;
    for (const o of ops) {
      const a = o.at + o.off;
      if (o.k === 'store8') { s.store8(a, o.v); ref.set(a, o.v); }
      if (o.k === 'write') { s.write(a, o.data); o.data.forEach((b, i) => ref.set(a + i, b)); }
      if (o.k === 'fill') { s.fill(a, o.len, o.v); for (let i = 0; i < o.len; i++) ref.set(a + i, o.v); }
      if (o.k === 'copy') {
        const src = o.from + o.off;
        const tmp = Array.from({ length: o.len }, (_, i) => get(src + i));
        s.copy(a, src, o.len);
        tmp.forEach((b, i) => ref.set(a + i, b));
      }
      if (o.k === 'store64') {
        s.store64(a, o.v);
        let v = BigInt.asUintN(64, o.v);
        for (let i = 0; i < 8; i++) { ref.set(a + i, Number(v & 0xffn)); v >>= 8n; }
        expect(s.load64(a)).toBe(BigInt.asUintN(64, o.v));
      }
      if (o.k === 'storePtr') { s.storePtr(a, o.v); expect(s.loadPtr(a)).toBe(o.v); for (let i = 0; i < 8; i++) ref.set(a + i, Math.floor(o.v / 2 ** (8 * i)) % 256); }
    }
    for (const [a, v] of ref) expect(s.load8(a)).toBe(v);
    const probe = ARENA_A + 100;
    expect([...s.read(probe, 16)]).toEqual(Array.from({ length: 16 }, (_, i) => get(probe + i)));
  }));
});

test('arena slots: offsets keep the pool grid, map and unmap, growth keeps contents', () => {
  const s = new AddressSpace();
  s.mapArena(2, ARENA_A);
  const off = s.arenaOffset(ARENA_A);
  expect(off).toBe(2 * SLOT_SIZE + (ARENA_A - poolFloor(ARENA_A)));
  expect(s.addressOf(off)).toBe(ARENA_A);
  expect((s.arenaOffset(poolFloor(ARENA_A) + 16384) - 2 * SLOT_SIZE) % 16384).toBe(0);
  expect(s.arenaOffset(ARENA_A - 1)).toBe(-1);
  expect(s.arenaOffset(ARENA_A + 1048575)).toBeGreaterThan(0);
  expect(s.arenaOffset(ARENA_A + 1048576)).toBe(-1);
  s.store8(ARENA_A + 7, 99);
  s.ensureSlots(40);
  expect(s.slots).toBe(40);
  expect(s.load8(ARENA_A + 7)).toBe(99);
  s.unmapArena(2, ARENA_A);
  expect(s.arenaOffset(ARENA_A + 7)).toBe(-1);
  s.mapArena(2, ARENA_A);
  expect(s.load8(ARENA_A + 7)).toBe(0); // fresh mmap memory is zero
  // Two arenas back to back: each address belongs to exactly one.
  s.mapArena(5, ARENA_A + 1048576);
  expect(Math.floor(s.arenaOffset(ARENA_A + 1048576) / SLOT_SIZE)).toBe(5);
  expect(Math.floor(s.arenaOffset(ARENA_A + 1048575) / SLOT_SIZE)).toBe(2);
});

test('sparse memory across page boundaries: multi-page writes, reads and zero fills', () => {
  const s = new AddressSpace();
  const data = Uint8Array.from({ length: 9000 }, (_, i) => (i * 7 + 1) & 0xff);
  s.write(RAW + 4090, data);
  expect([...s.read(RAW + 4090, 9000)]).toEqual([...data]);
  s.fill(RAW + 4095, 5000, 0);
  expect(s.load8(RAW + 4094)).toBe(data[4]);
  expect([...s.read(RAW + 4095, 5000)].every((b) => b === 0)).toBe(true);
  expect(s.load8(RAW + 4095 + 5000)).toBe(data[5005]);
  s.fill(RAW + 10, 3, 0xcd);
  expect([...s.read(RAW + 9, 5)]).toEqual([0, 0xcd, 0xcd, 0xcd, 0]);
  s.copy(RAW + 20000, RAW + 4090, 9000);
  expect([...s.read(RAW + 20000, 6)]).toEqual([...data.subarray(0, 5), 0]);
});

test('slot capacity: growth, the 2016-slot ceiling, and unmapping one of two arenas sharing a chunk', () => {
  expect(MAX_SLOTS).toBe(Math.floor(2 ** 31 / SLOT_SIZE));
  expect(MAX_SLOTS).toBe(2016);
  const s = new AddressSpace();
  expect(s.slots).toBe(0);
  s.ensureSlots(3);
  const n = s.slots;
  expect(n).toBeGreaterThanOrEqual(3);
  s.ensureSlots(n);
  expect(s.slots).toBe(n);
  s.ensureSlots(n + 1);
  expect(s.slots).toBeGreaterThanOrEqual(2 * n);
  expect(() => s.ensureSlots(MAX_SLOTS + 1)).toThrow(RangeError);
  expect(s.arenaOffset(ARENA_B)).toBe(-1);
  s.mapArena(0, ARENA_B);
  expect(s.arenaOffset(ARENA_B)).toBe(0);
  expect(s.addressOf(5)).toBe(ARENA_B + 5);
  const c = ARENA_B + 1048576 + 0x2000; // shares a chunk with nothing; the next shares one with it
  s.mapArena(1, c);
  s.mapArena(2, c + 1048576);
  s.store8(c + 1048576 + 10, 5);
  s.unmapArena(1, c);
  expect(s.arenaOffset(c + 10)).toBe(-1);
  expect(s.load8(c + 1048576 + 10)).toBe(5);
  s.unmapArena(1, c);
  s.unmapArena(2, c + 1048576);
  expect(s.arenaOffset(c + 1048576 + 10)).toBe(-1);
  s.unmapArena(0, ARENA_B);
  expect(s.arenaOffset(ARENA_B)).toBe(-1);
  expect(s.slotBase[0]).toBe(-1);
  expect(s.arenaBase[0]).toBe(-1);
});

test('reset: every arena and sparse page is forgotten, the backing store is kept, a remapped slot reads as zero', () => {
  const s = new AddressSpace();
  s.mapArena(0, ARENA_B);
  s.mapArena(1, ARENA_A);
  s.store8(ARENA_B + 100, 7);
  s.store8(ARENA_A + 100, 8);
  s.store8(RAW + 5, 9);
  const mem = s.mem;
  s.reset();
  expect(s.mem).toBe(mem); // nothing reallocated
  for (const a of [ARENA_B + 100, ARENA_A + 100]) expect(s.arenaOffset(a)).toBe(-1);
  expect(s.load8(RAW + 5)).toBe(0);
  expect(s.load8(ARENA_B + 100)).toBe(0);
  // The same slots mapped again (as a fresh process would): zero, as mmap gives memory.
  s.mapArena(1, ARENA_B);
  s.mapArena(0, ARENA_A);
  expect(s.load8(ARENA_B + 100)).toBe(0);
  expect(s.load8(ARENA_A + 100)).toBe(0);
  expect(Math.floor(s.arenaOffset(ARENA_B) / SLOT_SIZE)).toBe(1);
});

test('zeroArenaBytes clears exactly the bytes asked for, word and byte tails alike', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 200 }), (start16, len) => {
    const s = new AddressSpace();
    s.mapArena(0, ARENA_B);
    const off = s.arenaOffset(ARENA_B) + 64;
    s.mem.fill(0xab, off, off + 1200);
    const from = off + 16 * start16;
    s.zeroArenaBytes(from, len);
    for (let i = off; i < off + 1200; i++) expect(s.mem[i]).toBe(i >= from && i < from + len ? 0 : 0xab);
  }), { numRuns: 60 });
});
