/**
 * What CPython leaves undefined is reported deterministically (docs/debug-hooks.md),
 * and the side table behind those reports never disturbs a defined program.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Api } from '../../src/domains/allocator.ts';
import { noteWrite } from '../../src/debug/debug-hooks.ts';
import { formatPointer } from '../../src/debug/fatal.ts';
import { arbApi, arbMode, arbSize, debugRuntime, fatalOf } from './helpers.ts';

const FAMILY = { r: 'PyMem_Raw', m: 'PyMem_', o: 'PyObject_' } as const;

describe('undefined behaviour becomes a fatal error', () => {
  test('double free', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, (mode, api, n) => {
      const rt = debugRuntime(mode);
      const p = rt.malloc(api, n);
      rt.free(api, p);
      const e = fatalOf(() => rt.free(api, p));
      expect(e.func).toBe('_PyMem_DebugRawFree');
      expect(e.message).toBe(`double free: the block at p=${formatPointer(p)} was already freed by ${FAMILY[api]}Free`);
      expect(e.stderr).toBe(`Fatal Python error: _PyMem_DebugRawFree: ${e.message}\nPython runtime state: initialized\n\n`);
    }));
  });

  test('realloc of a freed block; free of the old pointer after a moving realloc', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, (mode, api, n) => {
      const rt = debugRuntime(mode);
      const p = rt.malloc(api, n);
      rt.free(api, p);
      const e = fatalOf(() => rt.realloc(api, p, n + 1));
      expect(e.func).toBe('_PyMem_DebugRawRealloc');
      expect(e.message).toBe(`use after free: realloc of the block at p=${formatPointer(p)}, which was already freed by ${FAMILY[api]}Free`);

      const rt2 = debugRuntime(mode);
      const a = rt2.malloc(api, n);
      const b = rt2.realloc(api, a, n + 5000);
      expect(b).not.toBe(a);
      expect(fatalOf(() => rt2.free(api, a)).message)
        .toBe(`double free: the block at p=${formatPointer(a)} was already freed by ${FAMILY[api]}Realloc`);
    }));
  });

  test('a write into a freed block, then free or realloc of it', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, fc.nat(), fc.boolean(), (mode, api, n, at, viaRealloc) => {
      const rt = debugRuntime(mode);
      const p = rt.malloc(api, n);
      rt.free(api, p);
      const k = (at % (n + 24)) - 16; // anywhere in the freed decorated block
      noteWrite(rt, p + k);
      rt.space.store8(p + k, 1);
      const e = fatalOf(() => (viaRealloc ? rt.realloc(api, p, 8) : rt.free(api, p)));
      const rel = k < 0 ? `p${k}` : `p+${k}`;
      expect(e.message).toBe(`use after free: the block at p=${formatPointer(p)} was written at ${rel} after it was freed by ${FAMILY[api]}Free, then ${viaRealloc ? 'passed to realloc' : 'freed again'}`);
    }));
  });

  test('memory written after free is reported when it is handed out again', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, fc.nat(), (mode, api, n, at) => {
      const rt = debugRuntime(mode);
      const p = rt.malloc(api, n);
      rt.free(api, p);
      const k = (at % (n + 24)) - 16;
      noteWrite(rt, p + k);
      rt.space.store8(p + k, 1);
      const e = fatalOf(() => rt.malloc(api, n)); // same size: the same memory comes back
      expect(e.message).toMatch(/^use after free: the block at p=0x[0-9a-f]+ was written at p[-+]\d+ after it was freed by \w+, and its memory is now being reused$/);
    }));
  });

  test('free or realloc of a pointer no allocator returned', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, fc.integer({ min: 1, max: 64 }), fc.boolean(), (mode, api, n, d, viaRealloc) => {
      const rt = debugRuntime(mode);
      const p = rt.malloc(api, n);
      const e = fatalOf(() => (viaRealloc ? rt.realloc(api, p + d, 8) : rt.free(api, p + d)));
      expect(e.message).toBe(`${viaRealloc ? 'realloc' : 'free'} of a pointer that was never returned by the allocator: p=${formatPointer(p + d)}`);
    }));
  });

  test('an API id overwritten to match another family whose allocator does not own the block', () => {
    fc.assert(fc.property(fc.constantFrom('debug', 'pymalloc_debug') as fc.Arbitrary<'debug'>, arbApi, arbApi, arbSize, (mode, a, b, n) => {
      const rt = debugRuntime(mode);
      const sameOwner = (a === 'r') === (b === 'r');
      const p = rt.malloc(a, n);
      rt.space.store8(p - 8, b.charCodeAt(0));
      if (sameOwner) {
        rt.free(b, p);
        return;
      }
      const e = fatalOf(() => rt.free(b, p));
      expect(e.message).toBe(`wrong allocator: the block at p=${formatPointer(p)} was allocated using API '${a}', but its API id byte was overwritten with '${b}' and ${FAMILY[b]}Free would pass it to an allocator that does not own it`);
    }));
    // malloc_debug: one C library under all three families, so this is fine
    const rt = debugRuntime('malloc_debug');
    const p = rt.malloc('o', 16);
    rt.space.store8(p - 8, 'r'.charCodeAt(0));
    rt.free('r', p);
  });

  test('a size field that puts the tail outside the address space (a real segfault)', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, fc.integer({ min: 1, max: 255 }), fc.constantFrom<'free' | 'realloc'>('free', 'realloc'),
      (mode, api, n, v, op) => {
        const rt = debugRuntime(mode);
        const p = rt.malloc(api, n);
        rt.space.store8(p - 16, v); // the size's high byte
        const e = fatalOf(() => (op === 'free' ? rt.free(api, p) : rt.realloc(api, p, 64)));
        const N = (BigInt(v) << 56n) + BigInt(n);
        expect(e.func).toBe(op === 'free' ? '_PyMem_DebugRawFree' : '_PyMem_DebugRawRealloc');
        expect(e.message).toBe(`bad size field: the block at p=${formatPointer(p)} claims ${N} bytes originally requested, so CPython would segfault accessing ${formatPointer(BigInt(p) + N)}`);
        expect(e.stderr.startsWith('Fatal Python error: ')).toBe(true);
      }));
  });
});

type Cmd =
  | { k: 'malloc'; api: Api; n: number }
  | { k: 'calloc'; api: Api; n: number }
  | { k: 'realloc'; i: number; n: number }
  | { k: 'free'; i: number }
  | { k: 'write'; i: number; at: number; v: number };

const arbCmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ k: fc.constant('malloc' as const), api: arbApi, n: arbSize }),
  fc.record({ k: fc.constant('calloc' as const), api: arbApi, n: arbSize }),
  fc.record({ k: fc.constant('realloc' as const), i: fc.nat(), n: arbSize }),
  fc.record({ k: fc.constant('free' as const), i: fc.nat() }),
  fc.record({ k: fc.constant('write' as const), i: fc.nat(), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
);

describe('the side table never disturbs a defined program', () => {
  test('random programs of allocations, in-bounds writes and frees: no fatal error, contents intact', () => {
    fc.assert(fc.property(arbMode, fc.array(arbCmd, { maxLength: 60 }), (mode, cmds) => {
      const rt = debugRuntime(mode);
      const live: Array<{ p: number; api: Api; data: number[] }> = [];
      for (const c of cmds) {
        if (c.k === 'malloc' || c.k === 'calloc') {
          const p = c.k === 'malloc' ? rt.malloc(c.api, c.n) : rt.calloc(c.api, 1, c.n);
          live.push({ p, api: c.api, data: Array(c.n).fill(c.k === 'malloc' ? 0xcd : 0) });
        } else if (live.length > 0) {
          const i = c.i % live.length;
          const b = live[i];
          if (c.k === 'free') {
            expect(Array.from(rt.space.read(b.p, b.data.length))).toEqual(b.data);
            rt.free(b.api, b.p);
            live.splice(i, 1);
          } else if (c.k === 'realloc') {
            const q = rt.realloc(b.api, b.p, c.n);
            b.data = Array.from({ length: c.n }, (_, j) => (j < b.data.length ? b.data[j] : 0xcd));
            b.p = q;
          } else if (b.data.length > 0) {
            const at = c.at % b.data.length;
            noteWrite(rt, b.p + at);
            rt.space.store8(b.p + at, c.v);
            b.data[at] = c.v;
          }
        }
      }
      for (const b of live) {
        expect(Array.from(rt.space.read(b.p, b.data.length))).toEqual(b.data);
        rt.free(b.api, b.p);
      }
    }), { numRuns: 60 });
  });
});
