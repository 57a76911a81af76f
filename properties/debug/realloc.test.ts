/**
 * _PyMem_DebugRawRealloc (fact sheet 4.3): contents kept up to min(old, new), growth is
 * CLEANBYTE, the result is re-decorated; a failed inner realloc leaves the block as it
 * was (decorations rewritten, saved bytes restored) and returns NULL.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { arbApi, arbMode, arbSize, bytes, debugRuntime, header } from './helpers.ts';

describe('debug realloc', () => {
  test('a chain of reallocs keeps min(old, new) bytes, fills growth with 0xCD, re-decorates', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, fc.array(arbSize, { minLength: 1, maxLength: 6 }), fc.integer(),
      (mode, api, n0, sizes, seed) => {
        const rt = debugRuntime(mode);
        let p = rt.malloc(api, n0);
        let shadow = Array.from({ length: n0 }, (_, i) => (i * 31 + seed) & 0xff);
        rt.space.write(p, Uint8Array.from(shadow));
        for (const n of sizes) {
          const old = shadow.length;
          const q = rt.realloc(api, p, n);
          expect(q).not.toBe(0);
          const got = bytes(rt, q, n);
          expect(got.slice(0, Math.min(old, n))).toEqual(shadow.slice(0, Math.min(old, n)));
          expect(got.slice(old).every((b) => b === 0xcd)).toBe(true);
          expect(bytes(rt, q - 16, 16)).toEqual(header(n, api));
          expect(bytes(rt, q + n, 8)).toEqual(Array(8).fill(0xfd));
          shadow = Array.from({ length: n }, (_, i) => (i < old ? shadow[i] : 0xcd));
          // scribble a little so the next round checks fresh data
          if (n > 0) {
            rt.space.store8(q + (seed >>> 0) % n, 0x5a);
            shadow[(seed >>> 0) % n] = 0x5a;
          }
          p = q;
        }
        rt.free(api, p);
      }));
  });

  test('realloc(NULL, n) is malloc(n)', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, (mode, api, n) => {
      const rt = debugRuntime(mode);
      const p = rt.realloc(api, 0, n);
      expect(bytes(rt, p - 16, 16)).toEqual(header(n, api));
      expect(bytes(rt, p, n).every((b) => b === 0xcd)).toBe(true);
      rt.free(api, p);
    }));
  });

  test('a failed inner realloc returns NULL and leaves the block and its decorations intact', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, fc.integer(), (mode, api, n, seed) => {
      const rt = debugRuntime(mode);
      const p = rt.malloc(api, n);
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
      rt.space.write(p, data);
      // more than the model's C library will give, but not above PY_SSIZE_T_MAX - 24
      expect(rt.realloc(api, p, 2 ** 42)).toBe(0);
      expect(bytes(rt, p - 16, 16)).toEqual(header(n, api));
      expect(bytes(rt, p, n)).toEqual(Array.from(data));
      expect(bytes(rt, p + n, 8)).toEqual(Array(8).fill(0xfd));
      rt.free(api, p);
    }));
  });

  test('observed: raw realloc 200 -> 300 keeps the data and adds 100 bytes of 0xCD; 300 -> 150 keeps the data', () => {
    const rt = debugRuntime('debug');
    let p = rt.malloc('r', 200);
    const d = Uint8Array.from({ length: 200 }, (_, i) => i);
    rt.space.write(p, d);
    p = rt.realloc('r', p, 300);
    expect(bytes(rt, p, 200)).toEqual(Array.from(d));
    expect(bytes(rt, p + 200, 100)).toEqual(Array(100).fill(0xcd));
    p = rt.realloc('r', p, 150);
    expect(bytes(rt, p, 150)).toEqual(Array.from(d.subarray(0, 150)));
  });
});
