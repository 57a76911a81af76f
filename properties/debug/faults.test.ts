/**
 * Faults of the debug modes beyond checks.test.ts and undefined.test.ts: corrupted size
 * fields that make a real process segfault partway (docs/debug-hooks.md, "bad size
 * field"), the partial dump kept when that happens inside _PyObject_DebugDumpAddress
 * (fact sheet 4.5), the side table across in-place and moving reallocs, pymalloc pool
 * reuse (fact sheet 3.3, 3.4), the function each report names, and the hooks' state.
 */
import { describe, expect, test } from 'vitest';
import type { Api } from '../../src/domains/allocator.ts';
import { Runtime } from '../../src/domains/runtime.ts';
import { debugState, installDebugHooks, noteWrite } from '../../src/debug/debug-hooks.ts';
import { FatalError, formatPointer } from '../../src/debug/fatal.ts';
import { DEBUG_MODES, debugRuntime, fatalOf } from './helpers.ts';

const FAMILY = { r: 'PyMem_Raw', m: 'PyMem_', o: 'PyObject_' } as const;
const APIS: Api[] = ['r', 'm', 'o'];
const PYMALLOC_DEBUG_MODES = ['debug', 'pymalloc_debug'] as const;
const framing = (func: string, message: string): string => `Fatal Python error: ${func}: ${message}\nPython runtime state: initialized\n\n`;

/** Store the big-endian size_t `n` at p-16, the block's size field. */
function setSize(rt: Runtime, p: number, n: bigint): void {
  for (let i = 0; i < 8; i++) rt.space.store8(p - 16 + i, Number((n >> BigInt(8 * (7 - i))) & 0xffn));
}

/** A write from outside the allocators (a scenario poke), as the hooks are told of it. */
function poke(rt: Runtime, addr: number, v: number): void {
  noteWrite(rt, addr);
  rt.space.store8(addr, v);
}

describe('a corrupted size field: where CPython would segfault, a fatal error', () => {
  test('free, size field 2^64 - 256 with FORBIDDENBYTEs at p - 256: the checks pass, the memset of N + 24 bytes leaves the address space', () => {
    for (const mode of DEBUG_MODES) {
      for (const api of APIS) {
        const rt = debugRuntime(mode);
        const p = rt.malloc(api, 16);
        setSize(rt, p, (1n << 64n) - 256n); // tail = p + N wraps to p - 256
        rt.space.fill(p - 256, 8, 0xfd);
        const e = fatalOf(() => rt.free(api, p));
        expect(e.func).toBe('_PyMem_DebugRawFree');
        // The memset starts at p - 16, inside user space, and runs upwards past its end.
        expect(e.message).toBe(`bad size field: the block at p=${formatPointer(p)} claims 18446744073709551360 bytes originally requested, so CPython would segfault accessing 0x800000000000`);
        expect(e.stderr).toBe(framing('_PyMem_DebugRawFree', e.message));
      }
    }
  });

  test('realloc, size field putting the tail at 0x10008: saving the last 64 data bytes reads from 0xffc8, below user space', () => {
    for (const mode of DEBUG_MODES) {
      for (const api of APIS) {
        const rt = debugRuntime(mode);
        const p = rt.malloc(api, 16);
        setSize(rt, p, (0x10008n - BigInt(p)) & ((1n << 64n) - 1n));
        rt.space.fill(0x10008, 8, 0xfd); // the checks pass
        const e = fatalOf(() => rt.realloc(api, p, 32));
        expect(e.func).toBe('_PyMem_DebugRawRealloc');
        // The size field as it was read, not the DEADBYTEs the erase had already written over it.
        expect(e.message).toBe(`bad size field: the block at p=${formatPointer(p)} claims ${(0x10008n - BigInt(p)) & ((1n << 64n) - 1n)} bytes originally requested, so CPython would segfault accessing 0xffc8`);
        expect(e.stderr).toBe(framing('_PyMem_DebugRawRealloc', e.message));
      }
    }
  });

  test('bad leading pads and a tail outside the address space: the dump stops in the tail line, which is ended with a newline', () => {
    for (const mode of DEBUG_MODES) {
      for (const api of APIS) {
        for (const op of ['free', 'realloc'] as const) {
          const rt = debugRuntime(mode);
          const p = rt.malloc(api, 16);
          rt.space.store8(p - 16, 1); // N = 2^56 + 16, as in the *__segv fixtures
          rt.space.store8(p - 1, 0);
          const func = op === 'free' ? '_PyMem_DebugRawFree' : '_PyMem_DebugRawRealloc';
          const e = fatalOf(() => (op === 'free' ? rt.free(api, p) : rt.realloc(api, p, 8)));
          const P = formatPointer(p);
          const T = formatPointer(BigInt(p) + (1n << 56n) + 16n);
          expect(e.func).toBe(func);
          expect(e.stderr).toBe(`Debug memory block at address p=${P}: API '${api}'
    72057594037927952 bytes originally requested
    The 7 pad bytes at p-7 are not all FORBIDDENBYTE (0xfd):
        at p-7: 0xfd
        at p-6: 0xfd
        at p-5: 0xfd
        at p-4: 0xfd
        at p-3: 0xfd
        at p-2: 0xfd
        at p-1: 0x00 *** OUCH
    Because memory is corrupted at the start, the count of bytes requested
       may be bogus, and checking the trailing pad bytes may segfault.
    The 8 pad bytes at tail=${T} are 
Fatal Python error: ${func}: bad size field: the block at p=${P} claims 72057594037927952 bytes originally requested, so CPython would segfault accessing ${T}
Python runtime state: initialized

`);
        }
      }
    }
  });

  test('a tail 4 bytes below 2^47: the dump stops after "at tail+3", a whole line, so no newline is added', () => {
    for (const mode of DEBUG_MODES) {
      for (const api of APIS) {
        const rt = debugRuntime(mode);
        const p = rt.malloc(api, 16);
        const tail = 2 ** 47 - 4;
        const N = BigInt(tail - p);
        setSize(rt, p, N);
        for (let i = 0; i < 4; i++) rt.space.store8(tail + i, i + 1);
        const e = fatalOf(() => rt.free(api, p));
        const P = formatPointer(p);
        expect(e.stderr).toBe(`Debug memory block at address p=${P}: API '${api}'
    ${N} bytes originally requested
    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.
    The 8 pad bytes at tail=0x7ffffffffffc are not all FORBIDDENBYTE (0xfd):
        at tail+0: 0x01 *** OUCH
        at tail+1: 0x02 *** OUCH
        at tail+2: 0x03 *** OUCH
        at tail+3: 0x04 *** OUCH
Fatal Python error: _PyMem_DebugRawFree: bad size field: the block at p=${P} claims ${N} bytes originally requested, so CPython would segfault accessing 0x800000000000
Python runtime state: initialized

`);
      }
    }
  });
});

describe('the side table across reallocs', () => {
  test('a block resized in place (pymalloc 3/4 rule), freed, written, freed again: the write is reported', () => {
    for (const mode of DEBUG_MODES) {
      const rt = debugRuntime(mode);
      const p = rt.malloc('o', 40);
      const q = rt.realloc('o', p, 37);
      // 40 + 24 = 64 bytes is pymalloc's 64-byte class; 37 + 24 = 61 and 4*61 > 3*64 (fact sheet 3.7)
      if (mode !== 'malloc_debug') expect(q).toBe(p);
      rt.free('o', q);
      poke(rt, q + 3, 1);
      const e = fatalOf(() => rt.free('o', q));
      expect(e.func).toBe('_PyMem_DebugRawFree');
      expect(e.message).toBe(`use after free: the block at p=${formatPointer(q)} was written at p+3 after it was freed by PyObject_Free, then freed again`);
    }
  });

  test('a block moved by realloc, freed, written, freed again: the write is reported against the new block', () => {
    for (const mode of DEBUG_MODES) {
      for (const api of APIS) {
        const rt = debugRuntime(mode);
        const p = rt.malloc(api, 16);
        const q = rt.realloc(api, p, 3000);
        expect(q).not.toBe(p);
        rt.free(api, q);
        poke(rt, q + 3, 1);
        const e = fatalOf(() => rt.free(api, q));
        expect(e.message).toBe(`use after free: the block at p=${formatPointer(q)} was written at p+3 after it was freed by ${FAMILY[api]}Free, then freed again`);
      }
    }
  });

  test('an in-place realloc hands back the block PyMem_Malloc allocated: a later wrong-allocator report names API \'m\'', () => {
    for (const mode of PYMALLOC_DEBUG_MODES) {
      const rt = debugRuntime(mode);
      const p = rt.malloc('m', 40);
      rt.space.store8(p - 8, 0x6f); // 'o': PyObject_Realloc's checks pass
      expect(rt.realloc('o', p, 37)).toBe(p); // in place (fact sheet 3.7)
      rt.space.store8(p - 8, 0x72); // 'r'
      const e = fatalOf(() => rt.free('r', p));
      expect(e.func).toBe('_PyMem_DebugRawFree');
      expect(e.message).toBe(`wrong allocator: the block at p=${formatPointer(p)} was allocated using API 'm', but its API id byte was overwritten with 'r' and PyMem_RawFree would pass it to an allocator that does not own it`);
    }
  });

  test('realloc through a family whose allocator does not own the block names <Realloc>', () => {
    for (const mode of PYMALLOC_DEBUG_MODES) {
      const rt = debugRuntime(mode);
      const p = rt.malloc('o', 16); // a pymalloc block
      rt.space.store8(p - 8, 0x72);
      const e = fatalOf(() => rt.realloc('r', p, 32));
      expect(e.func).toBe('_PyMem_DebugRawRealloc');
      expect(e.message).toBe(`wrong allocator: the block at p=${formatPointer(p)} was allocated using API 'o', but its API id byte was overwritten with 'r' and PyMem_RawRealloc would pass it to an allocator that does not own it`);

      const rt2 = debugRuntime(mode);
      const r = rt2.malloc('r', 16); // a C library block
      rt2.space.store8(r - 8, 0x6d);
      expect(fatalOf(() => rt2.realloc('m', r, 32)).message).toBe(`wrong allocator: the block at p=${formatPointer(r)} was allocated using API 'r', but its API id byte was overwritten with 'm' and PyMem_Realloc would pass it to an allocator that does not own it`);
    }
  });
});

describe('memory written after free, handed out again', () => {
  test('by malloc or calloc: the report names _PyMem_DebugRawMalloc or _PyMem_DebugRawCalloc', () => {
    for (const mode of DEBUG_MODES) {
      for (const api of APIS) {
        for (const how of ['malloc', 'calloc'] as const) {
          const rt = debugRuntime(mode);
          const p = rt.malloc(api, 16);
          rt.free(api, p);
          poke(rt, p + 3, 1);
          // the same size again: the same memory comes back
          const e = fatalOf(() => (how === 'malloc' ? rt.malloc(api, 16) : rt.calloc(api, 4, 4)));
          const func = how === 'malloc' ? '_PyMem_DebugRawMalloc' : '_PyMem_DebugRawCalloc';
          const message = `use after free: the block at p=${formatPointer(p)} was written at p+3 after it was freed by ${FAMILY[api]}Free, and its memory is now being reused`;
          expect(e.func).toBe(func);
          expect(e.message).toBe(message);
          expect(e.stderr).toBe(framing(func, message));
        }
      }
    }
  });

  test('an emptied pymalloc pool taken by another size class: the new block starts below the written one and covers it', () => {
    for (const mode of PYMALLOC_DEBUG_MODES) {
      const rt = debugRuntime(mode);
      // 16 + 24 = 40 bytes: the 48-byte class. A fresh pool hands out pool+48, pool+96 (fact sheet 3.3).
      const a = rt.malloc('o', 16);
      const b = rt.malloc('o', 16);
      expect(b - a).toBe(48);
      rt.free('o', a);
      rt.free('o', b); // the pool is empty: it goes to the arena's free pools (3.4)
      poke(rt, b + 3, 1);
      // 100 + 24 = 124 bytes: the 128-byte class takes the free pool; its first block is
      // a's, [a-16, a+108), which covers b's [b-16, b+24)
      const e = fatalOf(() => rt.malloc('o', 100));
      expect(e.func).toBe('_PyMem_DebugRawMalloc');
      expect(e.message).toBe(`use after free: the block at p=${formatPointer(b)} was written at p+3 after it was freed by PyObject_Free, and its memory is now being reused`);
    }
  });
});

describe('the hooks\' state', () => {
  test('PyMem_SetupDebugHooks twice keeps the one side table: debugState is the same, writes after free are still seen', () => {
    const rt = debugRuntime('debug');
    const st = debugState(rt);
    expect(st).toBeDefined();
    expect(st!.space).toBe(rt.space);
    installDebugHooks(rt);
    expect(debugState(rt)).toBe(st);
    const p = rt.malloc('m', 16);
    rt.free('m', p);
    poke(rt, p + 5, 1);
    expect(fatalOf(() => rt.free('m', p)).message)
      .toBe(`use after free: the block at p=${formatPointer(p)} was written at p+5 after it was freed by PyMem_Free, then freed again`);
  });

  test('a runtime without hooks has no state', () => {
    expect(debugState(new Runtime({ mode: 'pymalloc' }))).toBeUndefined();
  });

  test('FatalError names itself', () => {
    const e = new FatalError('f', 'm');
    expect(e.name).toBe('FatalError');
    expect(String(e)).toBe('FatalError: m');
    expect(e).toBeInstanceOf(Error);
  });
});
