/** AddrMap behaves like Map for address keys, through any mix of set/delete/get. */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { AddrMap } from '../../src/trace/addr-map.ts';

test('property: AddrMap agrees with Map', () => {
  // Keys from a small pool of realistic addresses, so that sets and deletes collide.
  const key = fc.oneof(
    fc.integer({ min: 0, max: 63 }).map((i) => 0x7fc15a7cc030 + i * 16),
    fc.integer({ min: 0, max: 63 }).map((i) => 0x55b96faef560 + i * 4096),
    fc.integer({ min: 0, max: 2 ** 20 }).map((i) => i * 2 ** 32),
    fc.constantFrom(0, 1, 2 ** 53 - 1),
  );
  const op = fc.tuple(fc.constantFrom('set', 'delete', 'get'), key, fc.integer());
  fc.assert(fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
    const a = new AddrMap<number>(2);
    const m = new Map<number, number>();
    for (const [o, k, v] of ops) {
      if (o === 'set') { a.set(k, v); m.set(k, v); }
      else if (o === 'delete') expect(a.delete(k)).toBe(m.delete(k));
      else expect(a.get(k)).toBe(m.get(k));
      expect(a.size).toBe(m.size);
    }
    for (const [k, v] of m) { expect(a.get(k)).toBe(v); expect(a.has(k)).toBe(true); }
    expect([...a.entries()].sort((x, y) => x[0] - y[0])).toEqual([...m.entries()].sort((x, y) => x[0] - y[0]));
  }), { numRuns: 500 });
});
