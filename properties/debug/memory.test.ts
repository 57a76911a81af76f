/**
 * Checked access to the simulated memory (src/debug/memory.ts): 64-bit wrap-around address
 * arithmetic, the mapped range [USER_SPACE_LOW, USER_SPACE_HIGH) = [0x10000, 2^47)
 * (docs/debug-hooks.md), the segfault error and its message, and big-endian size_t.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AddressSpace } from '../../src/memory/address-space.ts';
import { USER_SPACE_HIGH, USER_SPACE_LOW } from '../../src/debug/constants.ts';
import { SegvError, add64, fill, load8, mapped, read, readSizeT, store8, write, writeSizeT } from '../../src/debug/memory.ts';

const LOW = 0x10000n;
const HIGH = 1n << 47n; // 0x800000000000
const TWO64 = 1n << 64n;

function segvOf(f: () => unknown): SegvError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SegvError);
    return e as SegvError;
  }
  throw new Error('expected a SegvError, nothing was thrown');
}

describe('constants', () => {
  test('the mapped range is [0x10000, 2^47)', () => {
    expect(USER_SPACE_LOW).toBe(0x10000);
    expect(USER_SPACE_HIGH).toBe(0x800000000000);
  });
});

describe('add64', () => {
  test('plain sums below 2^64', () => {
    expect(add64(0, 0)).toBe(0n);
    expect(add64(0x10000, 16)).toBe(0x10010n);
    expect(add64(0x7f0000401000n, 0x20n)).toBe(0x7f0000401020n);
    expect(add64(0x7ffffffffff0n, (1n << 56n) + 16n)).toBe(0x0100800000000000n);
  });

  test('a sum of exactly zero stays zero', () => {
    expect(add64(5, -5)).toBe(0n);
    expect(add64(0x10000n, -0x10000n)).toBe(0n);
  });

  test('negative sums wrap to the top of the 64-bit range', () => {
    expect(add64(0, -1)).toBe(0xffffffffffffffffn);
    expect(add64(16, -32)).toBe(0xfffffffffffffff0n);
    expect(add64(0x10000n, -0x10001n)).toBe(0xffffffffffffffffn);
    expect(add64(-(TWO64 + 3n), 0)).toBe(TWO64 - 3n);
  });

  test('sums of 2^64 and above wrap to the bottom', () => {
    expect(add64(0xffffffffffffffffn, 1)).toBe(0n);
    expect(add64(0xffffffffffffffffn, 0xffffffffffffffffn)).toBe(0xfffffffffffffffen);
    expect(add64(1n << 63n, 1n << 63n)).toBe(0n);
  });

  test('agrees with BigInt.asUintN(64, a + d)', () => {
    const big = fc.bigInt({ min: -(2n * TWO64), max: 2n * TWO64 });
    fc.assert(fc.property(big, big, (a, d) => {
      const r = add64(a, d);
      expect(r).toBe(BigInt.asUintN(64, a + d));
      expect(r >= 0n && r < TWO64).toBe(true);
    }));
  });
});

describe('mapped', () => {
  test('the lower edge: LOW is mapped, LOW - 1 is not', () => {
    expect(mapped(LOW, 1n)).toBe(true);
    expect(mapped(LOW, 0n)).toBe(true);
    expect(mapped(LOW - 1n, 1n)).toBe(false);
    expect(mapped(LOW - 1n, 2n)).toBe(false);
    expect(mapped(LOW - 1n, 0n)).toBe(false);
    expect(mapped(0n, 8n)).toBe(false);
  });

  test('the upper edge: a + length == HIGH is mapped, one more byte is not', () => {
    expect(mapped(HIGH - 1n, 1n)).toBe(true);
    expect(mapped(HIGH - 8n, 8n)).toBe(true);
    expect(mapped(HIGH - 8n, 9n)).toBe(false);
    expect(mapped(HIGH - 1n, 2n)).toBe(false);
    expect(mapped(HIGH, 1n)).toBe(false);
    expect(mapped(HIGH + 1n, 1n)).toBe(false);
    expect(mapped(0xffffffffffffffffn, 1n)).toBe(false);
  });

  test('the whole range at once, and no more', () => {
    expect(mapped(LOW, HIGH - LOW)).toBe(true);
    expect(mapped(LOW, HIGH - LOW + 1n)).toBe(false);
  });

  test('length 0 inside the range is mapped; a negative length never is', () => {
    expect(mapped(LOW + 5n, 0n)).toBe(true);
    expect(mapped(0x55d0c8a3e000n, 0n)).toBe(true);
    expect(mapped(LOW + 5n, -1n)).toBe(false);
    expect(mapped(HIGH - 1n, -1n)).toBe(false);
    expect(mapped(0x55d0c8a3e000n, -16n)).toBe(false);
  });

  test('agrees with the definition for random ranges', () => {
    const addr = fc.oneof(fc.bigInt({ min: 0n, max: TWO64 - 1n }), fc.bigInt({ min: LOW - 20n, max: LOW + 20n }), fc.bigInt({ min: HIGH - 20n, max: HIGH + 20n }));
    const length = fc.bigInt({ min: -20n, max: 40n });
    fc.assert(fc.property(addr, length, (a, n) => {
      // every byte of [a, a+n) in [LOW, HIGH), a itself in range or at HIGH for n = 0; n >= 0
      const want = n >= 0n && a >= LOW && (n === 0n ? a <= HIGH : a + n - 1n < HIGH);
      expect(mapped(a, n)).toBe(want);
    }));
  });
});

describe('SegvError', () => {
  test('fields, name and message of a write', () => {
    const e = new SegvError(0x10n, 8n, true);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('SegvError');
    expect(e.addr).toBe(0x10n);
    expect(e.length).toBe(8n);
    expect(e.write).toBe(true);
    expect(e.partial).toBe('');
    expect(e.message).toBe('write of 8 byte(s) at 0x10 is outside mapped memory');
    expect(String(e)).toBe('SegvError: write of 8 byte(s) at 0x10 is outside mapped memory');
  });

  test('fields, name and message of a read', () => {
    const e = new SegvError(0x100800000000000n, 1n, false);
    expect(e.name).toBe('SegvError');
    expect(e.write).toBe(false);
    expect(e.message).toBe('read of 1 byte(s) at 0x100800000000000 is outside mapped memory');
  });
});

describe('SegvError.faultAt: the first address that faults, going upwards', () => {
  test('an access that starts outside faults at its start; one that starts inside faults at HIGH', () => {
    expect(new SegvError(LOW - 1n, 1n, false).faultAt).toBe(LOW - 1n);
    expect(new SegvError(0n, 8n, true).faultAt).toBe(0n);
    expect(new SegvError(HIGH, 1n, false).faultAt).toBe(HIGH);
    expect(new SegvError((1n << 64n) - 1n, 1n, true).faultAt).toBe((1n << 64n) - 1n);
    expect(new SegvError(LOW, HIGH, true).faultAt).toBe(HIGH);
    expect(new SegvError(HIGH - 1n, 2n, false).faultAt).toBe(HIGH);
    expect(new SegvError(0x7f0000000000n, 1n << 60n, true).faultAt).toBe(HIGH);
  });

  test('as thrown by fill: a memset from inside the range past its end', () => {
    const s = new AddressSpace();
    const e = segvOf(() => fill(s, HIGH - 16n, 17n, 0xdd));
    expect(e.addr).toBe(HIGH - 16n);
    expect(e.faultAt).toBe(HIGH);
  });
});

describe('load8 / store8', () => {
  test('bytes at both edges of the range read back', () => {
    const s = new AddressSpace();
    store8(s, LOW, 0x11);
    store8(s, HIGH - 1n, 0x22);
    expect(load8(s, LOW)).toBe(0x11);
    expect(load8(s, HIGH - 1n)).toBe(0x22);
    expect(s.load8(0x10000)).toBe(0x11);
    expect(s.load8(0x7fffffffffff)).toBe(0x22);
  });

  test('a load outside the range is a read fault', () => {
    const s = new AddressSpace();
    const e = segvOf(() => load8(s, LOW - 1n));
    expect([e.addr, e.length, e.write]).toEqual([0xffffn, 1n, false]);
    expect(e.message).toBe('read of 1 byte(s) at 0xffff is outside mapped memory');
    const f = segvOf(() => load8(s, HIGH));
    expect([f.addr, f.length, f.write]).toEqual([HIGH, 1n, false]);
    expect(f.message).toBe('read of 1 byte(s) at 0x800000000000 is outside mapped memory');
  });

  test('a store outside the range is a write fault and stores nothing', () => {
    const s = new AddressSpace();
    const e = segvOf(() => store8(s, LOW - 1n, 7));
    expect([e.addr, e.length, e.write]).toEqual([0xffffn, 1n, true]);
    expect(e.message).toBe('write of 1 byte(s) at 0xffff is outside mapped memory');
    expect(s.load8(0xffff)).toBe(0);
    const f = segvOf(() => store8(s, HIGH, 7));
    expect([f.addr, f.length, f.write]).toEqual([HIGH, 1n, true]);
    expect(f.message).toBe('write of 1 byte(s) at 0x800000000000 is outside mapped memory');
  });
});

describe('fill / read / write', () => {
  test('length 0 does nothing, even at unmapped addresses', () => {
    const s = new AddressSpace();
    for (const a of [0n, LOW - 1n, HIGH, 0xffffffffffffffffn]) {
      expect(() => fill(s, a, 0n, 0xab)).not.toThrow();
      expect(() => write(s, a, new Uint8Array(0))).not.toThrow();
      const r = read(s, a, 0);
      expect(r).toBeInstanceOf(Uint8Array);
      expect(r.length).toBe(0);
    }
    expect(s.load8(0xffff)).toBe(0);
  });

  test('fill up to HIGH works; one byte more is a write fault that fills nothing', () => {
    const s = new AddressSpace();
    fill(s, HIGH - 4n, 4n, 0xab);
    expect(Array.from(s.read(0x7ffffffffffc, 4))).toEqual([0xab, 0xab, 0xab, 0xab]);
    const e = segvOf(() => fill(s, HIGH - 4n, 5n, 0xcd));
    expect([e.addr, e.length, e.write]).toEqual([HIGH - 4n, 5n, true]);
    expect(e.message).toBe('write of 5 byte(s) at 0x7ffffffffffc is outside mapped memory');
    expect(Array.from(s.read(0x7ffffffffffc, 4))).toEqual([0xab, 0xab, 0xab, 0xab]);
    const f = segvOf(() => fill(s, LOW - 1n, 3n, 0xcd));
    expect(f.write).toBe(true);
  });

  test('write and read at LOW, and up to HIGH', () => {
    const s = new AddressSpace();
    write(s, LOW, new Uint8Array([1, 2, 3]));
    expect(Array.from(read(s, LOW, 3))).toEqual([1, 2, 3]);
    write(s, HIGH - 3n, new Uint8Array([4, 5, 6]));
    expect(Array.from(read(s, HIGH - 3n, 3))).toEqual([4, 5, 6]);
    expect(Array.from(read(s, HIGH - 5n, 5))).toEqual([0, 0, 4, 5, 6]);
  });

  test('a write past HIGH is a write fault that writes nothing', () => {
    const s = new AddressSpace();
    const e = segvOf(() => write(s, HIGH - 2n, new Uint8Array([1, 2, 3])));
    expect([e.addr, e.length, e.write]).toEqual([HIGH - 2n, 3n, true]);
    expect(e.message).toBe('write of 3 byte(s) at 0x7ffffffffffe is outside mapped memory');
    expect(Array.from(s.read(0x7ffffffffffe, 2))).toEqual([0, 0]);
  });

  test('a read below LOW is a read fault', () => {
    const s = new AddressSpace();
    const e = segvOf(() => read(s, LOW - 1n, 2));
    expect([e.addr, e.length, e.write]).toEqual([LOW - 1n, 2n, false]);
    expect(e.message).toBe('read of 2 byte(s) at 0xffff is outside mapped memory');
    const f = segvOf(() => read(s, HIGH - 1n, 2));
    expect(f.write).toBe(false);
  });
});

describe('readSizeT / writeSizeT', () => {
  const A = 0x55d0c8a3e010n;

  test('big-endian byte order', () => {
    const s = new AddressSpace();
    writeSizeT(s, A, 0x0102030405060708n);
    expect(Array.from(s.read(Number(A), 8))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    s.write(Number(A) + 16, new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0x2a]));
    expect(readSizeT(s, A + 16n)).toBe(0xdeadbeef0000002an);
    writeSizeT(s, A + 32n, 24n);
    expect(Array.from(s.read(Number(A) + 32, 8))).toEqual([0, 0, 0, 0, 0, 0, 0, 24]);
  });

  test('a negative size is stored as its 64-bit two\'s complement', () => {
    const s = new AddressSpace();
    writeSizeT(s, A, -1n);
    expect(Array.from(s.read(Number(A), 8))).toEqual(Array(8).fill(0xff));
    expect(readSizeT(s, A)).toBe(0xffffffffffffffffn);
    writeSizeT(s, A, -2n);
    expect(Array.from(s.read(Number(A), 8))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    writeSizeT(s, A, -(1n << 63n));
    expect(Array.from(s.read(Number(A), 8))).toEqual([0x80, 0, 0, 0, 0, 0, 0, 0]);
  });

  test('the last 8 bytes below HIGH hold a size_t; one byte higher faults', () => {
    const s = new AddressSpace();
    writeSizeT(s, HIGH - 8n, 0x1122334455667788n);
    expect(readSizeT(s, HIGH - 8n)).toBe(0x1122334455667788n);
    expect(segvOf(() => readSizeT(s, HIGH - 7n)).write).toBe(false);
    expect(segvOf(() => writeSizeT(s, HIGH - 7n, 1n)).write).toBe(true);
  });

  test('round trip: what is written reads back modulo 2^64', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(1n << 63n), max: TWO64 - 1n }), fc.bigInt({ min: LOW, max: HIGH - 8n }), (n, a) => {
      const s = new AddressSpace();
      writeSizeT(s, a, n);
      expect(readSizeT(s, a)).toBe(n < 0n ? n + TWO64 : n);
      const bytes = Array.from(s.read(Number(a), 8));
      expect(bytes.reduce((v, b) => (v << 8n) | BigInt(b), 0n)).toBe(n < 0n ? n + TWO64 : n);
    }));
  });
});
