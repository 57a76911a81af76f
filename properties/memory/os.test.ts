/**
 * The default OS model's contract (src/memory/os.ts): deterministic, non-overlapping,
 * 16-byte aligned RAW blocks with exact-size LIFO reuse, in-place realloc when the chunk
 * fits, zeroed calloc, refusal of impossible sizes; arenas 4 KiB aligned, top-down, with
 * freed ranges reused.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { AddressSpace } from '../../src/memory/address-space.ts';
import { LIBC_MAX_REQUEST, ModelArenas, ModelLibC } from '../../src/memory/os.ts';

test('malloc: aligned, non-overlapping, usable >= requested, freed chunk of the same size reused last-in first-out', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 200000 }), { minLength: 1, maxLength: 40 }), (sizes) => {
    const c = new ModelLibC(new AddressSpace());
    const ps = sizes.map((n) => c.malloc(n));
    const spans = ps.map((p, i) => [p, p + Math.max(sizes[i], 1)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 0; i < ps.length; i++) {
      expect(ps[i] % 16).toBe(0);
      expect(c.usable(ps[i])).toBeGreaterThanOrEqual(sizes[i]);
    }
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    const small = ps.filter((_, i) => sizes[i] < 131072);
    if (small.length >= 2) {
      const [a, b] = [small[0], small[1]];
      c.free(a);
      c.free(b);
      expect(c.usable(a)).toBe(-1);
      const sz = sizes[ps.indexOf(b)];
      expect(c.malloc(sz)).toBe(b);
    }
  }));
});

test('chunk sizes: max(32, round16(n + 16)); usable = chunk - 16', () => {
  const c = new ModelLibC(new AddressSpace());
  expect(c.usable(c.malloc(1))).toBe(16);
  expect(c.usable(c.malloc(16))).toBe(16);
  expect(c.usable(c.malloc(17))).toBe(32);
  const a = c.malloc(100);
  const b = c.malloc(100);
  expect(b - a).toBe(128);
  const big = c.malloc(131072);
  expect(c.usable(big)).toBeGreaterThanOrEqual(131072);
  expect(big % 4096).toBe(16);
});

test('realloc keeps contents and stays in place while the chunk fits; calloc zeroes; huge requests fail', () => {
  const space = new AddressSpace();
  const c = new ModelLibC(space);
  const p = c.malloc(40);
  space.write(p, Uint8Array.of(1, 2, 3, 4));
  expect(c.realloc(p, 30)).toBe(p);
  const q = c.realloc(p, 400);
  expect(q).not.toBe(p);
  expect([...space.read(q, 4)]).toEqual([1, 2, 3, 4]);
  expect(c.usable(p)).toBe(-1);
  expect(c.realloc(0, 10)).toBeGreaterThan(0);
  expect(c.realloc(12345, 10)).toBe(0);
  space.fill(q, 400, 0xee);
  c.free(q);
  const z = c.calloc(10, 40);
  expect(z).toBe(q);
  expect([...space.read(z, 400)].every((b) => b === 0)).toBe(true);
  expect(c.malloc(LIBC_MAX_REQUEST + 1)).toBe(0);
  expect(c.realloc(z, LIBC_MAX_REQUEST + 1)).toBe(0);
  expect(c.calloc(2 ** 30, 2 ** 30)).toBe(0);
  expect(c.calloc(2 ** 40, 2 ** 30)).toBe(0);
  expect(c.malloc(-1)).toBe(0);
  c.free(0);
  c.free(777);
});

test('arenas: 4 KiB aligned, top-down and adjacent, freed ranges reused', () => {
  const m = new ModelArenas(0x7f3c5e9c3000);
  const a = m.alloc(1048576);
  const b = m.alloc(1048576);
  expect(a).toBe(0x7f3c5e9c3000 - 1048576);
  expect(b).toBe(a - 1048576);
  expect(a % 4096).toBe(0);
  m.free(a, 1048576);
  expect(m.alloc(16384)).toBe(b - 16384);
  expect(m.alloc(1048576)).toBe(a);
  expect(m.alloc(1000)).toBe(b - 16384 - 4096);
});
