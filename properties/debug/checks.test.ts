/**
 * _PyMem_DebugCheckAddress (fact sheet 4.4) through free and realloc: in-bounds writes
 * never trip it; a single bad byte in the leading or trailing pads is reported with the
 * right message, function and OUCH line; a mismatched API id is reported first.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Api } from '../../src/domains/allocator.ts';
import { arbApi, arbByte, arbMode, arbSize, debugRuntime, fatalOf, hex2 } from './helpers.ts';

const arbOp = fc.constantFrom('free', 'realloc');

function release(rt: ReturnType<typeof debugRuntime>, op: string, api: Api, p: number, n: number): number {
  if (op === 'free') {
    rt.free(api, p);
    return 0;
  }
  return rt.realloc(api, p, n);
}

const funcOf = (op: string): string => (op === 'free' ? '_PyMem_DebugRawFree' : '_PyMem_DebugRawRealloc');

describe('debug checks', () => {
  test('any in-bounds write pattern never trips the checks', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, fc.array(fc.tuple(fc.nat(), arbByte), { maxLength: 40 }),
      arbOp, fc.nat({ max: 3000 }), (mode, api, n, writes, op, n2) => {
        const rt = debugRuntime(mode);
        const p = rt.malloc(api, n);
        for (const [at, v] of writes) if (n > 0) rt.space.store8(p + (at % n), v);
        const q = release(rt, op, api, p, n2);
        if (op === 'realloc') rt.free(api, q);
      }));
  });

  test('one bad leading pad byte p-k: "bad leading pad byte", one OUCH at p-k', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, fc.integer({ min: 1, max: 7 }), arbByte.filter((b) => b !== 0xfd), arbOp,
      (mode, api, n, k, v, op) => {
        const rt = debugRuntime(mode);
        const p = rt.malloc(api, n);
        rt.space.store8(p - k, v);
        const e = fatalOf(() => release(rt, op, api, p, n + 8));
        expect(e.func).toBe(funcOf(op));
        expect(e.message).toBe('bad leading pad byte');
        const lines = e.stderr.split('\n');
        expect(lines[2]).toBe('    The 7 pad bytes at p-7 are not all FORBIDDENBYTE (0xfd):');
        for (let i = 7; i >= 1; i--) {
          const line = lines[3 + 7 - i];
          expect(line).toBe(i === k ? `        at p-${i}: 0x${hex2(v)} *** OUCH` : `        at p-${i}: 0xfd`);
        }
        expect(lines[10]).toBe('    Because memory is corrupted at the start, the count of bytes requested');
        expect(e.stderr.endsWith(`Fatal Python error: ${funcOf(op)}: bad leading pad byte\nPython runtime state: initialized\n\n`)).toBe(true);
        expect(e.stderr.match(/OUCH/g)).toHaveLength(1);
      }));
  });

  test('one bad trailing pad byte tail+k: "bad trailing pad byte", one OUCH at tail+k, all 8 lines', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, fc.integer({ min: 0, max: 7 }), arbByte.filter((b) => b !== 0xfd), arbOp,
      (mode, api, n, k, v, op) => {
        const rt = debugRuntime(mode);
        const p = rt.malloc(api, n);
        rt.space.store8(p + n + k, v);
        const e = fatalOf(() => release(rt, op, api, p, n + 8));
        expect(e.func).toBe(funcOf(op));
        expect(e.message).toBe('bad trailing pad byte');
        const lines = e.stderr.split('\n');
        expect(lines[0]).toBe(`Debug memory block at address p=0x${p.toString(16)}: API '${api}'`);
        expect(lines[1]).toBe(`    ${n} bytes originally requested`);
        expect(lines[2]).toBe('    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.');
        expect(lines[3]).toBe(`    The 8 pad bytes at tail=0x${(p + n).toString(16)} are not all FORBIDDENBYTE (0xfd):`);
        for (let i = 0; i < 8; i++) {
          expect(lines[4 + i]).toBe(i === k ? `        at tail+${i}: 0x${hex2(v)} *** OUCH` : `        at tail+${i}: 0xfd`);
        }
        expect(e.stderr.match(/OUCH/g)).toHaveLength(1);
      }));
  });

  test('writing FORBIDDENBYTE over a pad is not a fault', () => {
    fc.assert(fc.property(arbMode, arbApi, arbSize, fc.integer({ min: -7, max: 7 }), (mode, api, n, k) => {
      const rt = debugRuntime(mode);
      const p = rt.malloc(api, n);
      rt.space.store8(k < 0 ? p + k : p + n + k, 0xfd);
      rt.free(api, p);
    }));
  });

  test('a block freed or resized through another family: bad ID first, naming both ids', () => {
    fc.assert(fc.property(arbMode, arbApi, arbApi, arbSize, arbOp, fc.boolean(), (mode, a, b, n, op, padToo) => {
      fc.pre(a !== b);
      const rt = debugRuntime(mode);
      const p = rt.malloc(a, n);
      if (padToo) rt.space.store8(p + n, 0); // the id check still comes first
      const e = fatalOf(() => release(rt, op, b, p, n));
      expect(e.func).toBe(funcOf(op));
      expect(e.message).toBe(`bad ID: Allocated using API '${a}', verified using API '${b}'`);
      expect(e.stderr.startsWith(`Debug memory block at address p=0x${p.toString(16)}: API '${a}'\n`)).toBe(true);
    }));
  });

  test('the dump data line: all bytes up to 16, else the first 8, " ...", the last 8', () => {
    fc.assert(fc.property(arbMode, arbApi, fc.integer({ min: 1, max: 600 }), (mode, api, n) => {
      const rt = debugRuntime(mode);
      const p = rt.malloc(api, n);
      const data = Array.from({ length: n }, (_, i) => (i * 7 + 1) & 0xff);
      rt.space.write(p, Uint8Array.from(data));
      rt.space.store8(p + n, 0x78);
      const e = fatalOf(() => rt.free(api, p));
      const shown = n <= 16 ? data : [...data.slice(0, 8), -1, ...data.slice(n - 8)];
      const line = `    Data at p:${shown.map((b) => (b < 0 ? ' ...' : ` ${hex2(b)}`)).join('')}\n\nEnable tracemalloc to get the memory block allocation traceback\n\n`;
      expect(e.stderr).toContain(line);
    }));
  });

  test('a 0-byte block: tail == p and no data line', () => {
    for (const api of ['r', 'm', 'o'] as const) {
      const rt = debugRuntime('debug');
      const p = rt.malloc(api, 0);
      rt.space.store8(p, 0x78);
      const e = fatalOf(() => rt.free(api, p));
      expect(e.stderr).toContain(`    The 8 pad bytes at tail=0x${p.toString(16)} are not all`);
      expect(e.stderr).not.toContain('Data at p:');
      expect(e.stderr).toContain('        at tail+7: 0xfd\n\nEnable tracemalloc');
    }
  });
});
