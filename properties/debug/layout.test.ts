/**
 * Block layout and fills (fact sheet 4.1-4.3, 3.7): big-endian size, API id, 7 + 8
 * FORBIDDENBYTEs, CLEANBYTE data for malloc and zeros for calloc, DEADBYTE after free,
 * and the double decoration of pymalloc-domain blocks that fall back to PyMem_RawMalloc.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { domainOf } from '../../src/domains/allocator.ts';
import { Runtime } from '../../src/domains/runtime.ts';
import { DebugAllocator, installDebugHooks } from '../../src/debug/debug-hooks.ts';
import { arbApi, arbMode, arbSize, bytes, debugRuntime, header } from './helpers.ts';

describe('debug block layout', () => {
  test('malloc: header, CLEANBYTE data, trailer; 16-byte aligned data', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, (mode, api, n) => {
      const rt = debugRuntime(mode);
      const p = rt.malloc(api, n);
      expect(p).not.toBe(0);
      expect(p % 16).toBe(0);
      expect(bytes(rt, p - 16, 16)).toEqual(header(n, api));
      expect(bytes(rt, p, n).every((b) => b === 0xcd)).toBe(true);
      expect(bytes(rt, p + n, 8)).toEqual(Array(8).fill(0xfd));
    }));
  });

  test('calloc: the data stays zero, decorations as malloc', () => {
    fc.assert(fc.property(arbMode, arbApi, fc.nat({ max: 40 }), fc.nat({ max: 40 }), (mode, api, ne, es) => {
      const rt = debugRuntime(mode);
      const n = ne * es;
      const p = rt.calloc(api, ne, es);
      expect(bytes(rt, p - 16, 16)).toEqual(header(n, api));
      expect(bytes(rt, p, n).every((b) => b === 0)).toBe(true);
      expect(bytes(rt, p + n, 8)).toEqual(Array(8).fill(0xfd));
    }));
  });

  test('free: the whole decorated block becomes DEADBYTE (the first 8 may hold a free-list link)', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, (mode, api, n) => {
      const rt = debugRuntime(mode);
      const p = rt.malloc(api, n);
      rt.free(api, p);
      expect(bytes(rt, p - 8, n + 16).every((b) => b === 0xdd)).toBe(true);
      if (mode === 'malloc_debug') expect(bytes(rt, p - 16, 8).every((b) => b === 0xdd)).toBe(true);
    }));
  });

  test('pymalloc modes: m/o blocks above 488 bytes are double-decorated, 488 and below are not', () => {
    fc.assert(fc.property(fc.constantFrom('debug', 'pymalloc_debug') as fc.Arbitrary<'debug'>, fc.constantFrom('m', 'o') as fc.Arbitrary<'m' | 'o'>,
      fc.integer({ min: 1, max: 3000 }), (mode, api, n) => {
        const rt = debugRuntime(mode);
        const p = rt.malloc(api, n);
        const inArena = rt.pymalloc.arenaOf(p) >= 0;
        expect(inArena).toBe(n <= 488);
        if (n > 488) expect(bytes(rt, p - 32, 16)).toEqual(header(n + 24, 'r'));
        if (n > 488) expect(bytes(rt, p + n + 8, 8)).toEqual(Array(8).fill(0xfd));
      }));
  });

  test('fact sheet 3.7: PyObject_Malloc(1000) under debug', () => {
    const rt = debugRuntime('debug');
    const p = rt.malloc('o', 1000);
    expect(bytes(rt, p - 32, 32)).toEqual([
      0, 0, 0, 0, 0, 0, 0x04, 0x00, 0x72, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd,
      0, 0, 0, 0, 0, 0, 0x03, 0xe8, 0x6f, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd]);
    const q = debugRuntime('malloc_debug').malloc('o', 1000);
    expect(q).not.toBe(0);
  });

  test('fact sheet 4.2: PyMem_RawMalloc(5)', () => {
    const rt = debugRuntime('debug');
    const p = rt.malloc('r', 5);
    expect(bytes(rt, p - 16, 29)).toEqual([
      0, 0, 0, 0, 0, 0, 0, 5, 0x72, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd,
      0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd]);
  });

  test('requests above PY_SSIZE_T_MAX - 24 get NULL; free(NULL) is a no-op', () => {
    for (const mode of ['debug', 'malloc_debug'] as const) {
      const rt = debugRuntime(mode);
      for (const api of ['r', 'm', 'o'] as const) {
        expect(rt.malloc(api, 2 ** 63)).toBe(0);
        expect(rt.domains[domainOf(api)].malloc(2 ** 63)).toBe(0);
        expect(rt.realloc(api, 0, 2 ** 63)).toBe(0);
        rt.free(api, 0);
      }
    }
  });

  test('installDebugHooks wraps each domain once (PyMem_SetupDebugHooks is idempotent)', () => {
    const rt = new Runtime({ mode: 'pymalloc' });
    const inner = [0, 1, 2].map((d) => rt.getAllocator(d));
    installDebugHooks(rt);
    installDebugHooks(rt);
    [0, 1, 2].forEach((d) => {
      const a = rt.getAllocator(d);
      expect(a).toBeInstanceOf(DebugAllocator);
      expect((a as DebugAllocator).inner).toBe(inner[d]);
      expect((a as DebugAllocator).api).toBe(['r', 'm', 'o'][d]);
    });
  });
});
