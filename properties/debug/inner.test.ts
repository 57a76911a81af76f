/**
 * The debug hooks over an inner allocator of our own: PyMem_SetAllocator(RAW, ours), then
 * PyMem_SetupDebugHooks (fact sheet 2.6, 4.3). The inner allocator records what the hooks
 * ask of it and a copy of the block at the moment of each realloc, so what
 * _PyMem_DebugRawAlloc / _PyMem_DebugRawRealloc do before and around the inner call can
 * be checked exactly, whatever the model's C library would do.
 */
import { describe, expect, test } from 'vitest';
import { type Allocator, PYMEM_DOMAIN_RAW } from '../../src/domains/allocator.ts';
import { Runtime } from '../../src/domains/runtime.ts';
import { installDebugHooks } from '../../src/debug/debug-hooks.ts';
import { formatPointer } from '../../src/debug/fatal.ts';
import { bytes, fatalOf, header } from './helpers.ts';

type Call = [string, ...number[]];

/** An inner RAW allocator: the model's C library, with realloc under the test's control. */
class Inner implements Allocator {
  calls: Call[] = [];
  /** The first `snapLength` bytes from the block's start at each realloc call. */
  snapshots: number[][] = [];
  snapLength = 0;
  /** 'libc': the C library decides; 'inPlace': the same block back, memory untouched; or a fixed address. */
  reallocTo: 'libc' | 'inPlace' | number = 'libc';

  constructor(private readonly libc: Allocator, private readonly rt: Runtime) {}

  malloc(n: number): number {
    this.calls.push(['malloc', n]);
    return this.libc.malloc(n);
  }

  calloc(nelem: number, elsize: number): number {
    this.calls.push(['calloc', nelem, elsize]);
    return this.libc.calloc(nelem, elsize);
  }

  realloc(p: number, n: number): number {
    this.calls.push(['realloc', p, n]);
    this.snapshots.push(bytes(this.rt, p, this.snapLength));
    if (this.reallocTo === 'libc') return this.libc.realloc(p, n);
    if (this.reallocTo === 'inPlace') return p;
    return this.reallocTo;
  }

  free(p: number): void {
    this.calls.push(['free', p]);
    this.libc.free(p);
  }
}

function hooked(): { rt: Runtime; inner: Inner; dbg: Allocator } {
  const rt = new Runtime({ mode: 'malloc' });
  const inner = new Inner(rt.getAllocator(PYMEM_DOMAIN_RAW), rt);
  rt.setAllocator(PYMEM_DOMAIN_RAW, inner);
  installDebugHooks(rt);
  return { rt, inner, dbg: rt.getAllocator(PYMEM_DOMAIN_RAW) };
}

const pattern = (n: number): number[] => Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
const run = (n: number, v: number): number[] => Array(n).fill(v);

describe('requests above PY_SSIZE_T_MAX - 24 (fact sheet 4.3, step 1)', () => {
  test('get NULL without calling the inner allocator; requests up to the limit reach it as N + 24', () => {
    const { inner, dbg } = hooked();
    // PY_SSIZE_T_MAX - 24 = 2^63 - 25. Doubles near it are 1024 apart: 2^63 is above the
    // limit, 2^63 - 1024 is the largest size below it.
    expect(dbg.malloc(2 ** 63)).toBe(0);
    expect(dbg.calloc(2 ** 62, 2)).toBe(0);
    expect(dbg.realloc(0, 2 ** 63)).toBe(0); // realloc(NULL, n) is malloc(n)
    expect(inner.calls).toEqual([]);

    // These pass the check and reach the inner allocator, which has no such memory.
    expect(dbg.malloc(2 ** 63 - 1024)).toBe(0);
    expect(dbg.malloc(2 ** 53)).toBe(0);
    expect(dbg.calloc(2 ** 52, 2)).toBe(0);
    expect(inner.calls).toEqual([
      ['malloc', 2 ** 63 - 1024 + 24], // the double nearest N + 24
      ['malloc', 2 ** 53 + 24],
      ['calloc', 1, 2 ** 53 + 24], // calloc(1, N + 24), not (nelem, elsize)
    ]);
  });

  test('realloc: above the limit NULL with the block intact and no inner call; at 2^53 the inner realloc is asked', () => {
    const { rt, inner, dbg } = hooked();
    const p = dbg.malloc(40);
    const data = pattern(40);
    rt.space.write(p, Uint8Array.from(data));
    inner.calls = [];
    expect(dbg.realloc(p, 2 ** 63)).toBe(0);
    expect(inner.calls).toEqual([]);
    expect(bytes(rt, p - 16, 16 + 40 + 8)).toEqual([...header(40, 'r'), ...data, ...run(8, 0xfd)]);

    expect(dbg.realloc(p, 2 ** 53)).toBe(0); // the C library refuses: the old block is rewritten
    expect(inner.calls).toEqual([['realloc', p - 16, 2 ** 53 + 24]]);
    expect(bytes(rt, p - 16, 16 + 40 + 8)).toEqual([...header(40, 'r'), ...data, ...run(8, 0xfd)]);
    dbg.free(p);
  });
});

describe('realloc: save, erase, restore (fact sheet 4.3, steps 4-9)', () => {
  test('at the inner call, a block of 128 bytes or less is all DEADBYTE; a larger one has 80 dead bytes at the head, 72 at the tail and its middle untouched', () => {
    for (const old of [0, 1, 64, 127, 128, 129, 130, 200, 300, 1000]) {
      const { rt, inner, dbg } = hooked();
      const p = dbg.malloc(old);
      const data = pattern(old);
      rt.space.write(p, Uint8Array.from(data));
      inner.snapLength = old + 24;
      const q = dbg.realloc(p, old + 50);
      expect(q).not.toBe(0);
      const seen = inner.snapshots[0];
      if (old <= 128) {
        expect(seen).toEqual(run(old + 24, 0xdd));
      } else {
        // p-16 .. p+64 dead; p+64 .. p+old-64 as it was; p+old-64 .. p+old+8 dead
        expect(seen).toEqual([...run(80, 0xdd), ...data.slice(64, old - 64), ...run(72, 0xdd)]);
      }
      // and the result keeps the data and grows with CLEANBYTE
      expect(bytes(rt, q - 16, 16 + old + 50 + 8)).toEqual([...header(old + 50, 'r'), ...data, ...run(50, 0xcd), ...run(8, 0xfd)]);
    }
  });

  test('an inner realloc that shrinks in place: min(N, old) bytes come back; the erased bytes past the new trailer stay dead, the untouched middle keeps its data', () => {
    const cases: Array<[number, number, number[]]> = [
      // old <= 128: all of it was erased; N bytes restored
      [100, 60, [...pattern(60), ...run(8, 0xfd), ...run(100 + 8 - 68, 0xdd)]],
      // old 300: head 0..64 restored, middle 64..236 never touched, tail 236..308 dead;
      // N = 200 <= old - 64, so no tail bytes are copied back
      [300, 200, [...pattern(200), ...run(8, 0xfd), ...pattern(236).slice(208), ...run(72, 0xdd)]],
      // N = 250 > old - 64 = 236: 14 bytes of the saved tail go back at 236
      [300, 250, [...pattern(250), ...run(8, 0xfd), ...run(308 - 258, 0xdd)]],
      // N = 236 = old - 64: nothing of the tail goes back
      [300, 236, [...pattern(236), ...run(8, 0xfd), ...run(308 - 244, 0xdd)]],
    ];
    for (const [old, n, after] of cases) {
      const { rt, inner, dbg } = hooked();
      const p = dbg.malloc(old);
      rt.space.write(p, Uint8Array.from(pattern(old)));
      inner.reallocTo = 'inPlace';
      expect(dbg.realloc(p, n)).toBe(p);
      expect(bytes(rt, p - 16, 16)).toEqual(header(n, 'r'));
      expect(bytes(rt, p, old + 8)).toEqual(after);
    }
  });

  test('an inner realloc that hands back memory running past the top of user space: a fatal error, not a crash of the model', () => {
    const { inner, dbg } = hooked();
    const p = dbg.malloc(40);
    // a (broken) inner allocator: 124 bytes at 2^47 - 64, so data = 2^47 - 48 and the new
    // trailer at data + 100 = 2^47 + 52 is where CPython's memset would fault
    inner.reallocTo = 2 ** 47 - 64;
    const e = fatalOf(() => dbg.realloc(p, 100));
    expect(e.func).toBe('_PyMem_DebugRawRealloc');
    expect(e.message.startsWith(`bad size field: the block at p=${formatPointer(p)} claims `)).toBe(true);
    expect(e.message.endsWith(' bytes originally requested, so CPython would segfault accessing 0x800000000034')).toBe(true);
    expect(e.stderr).toBe(`Fatal Python error: _PyMem_DebugRawRealloc: ${e.message}\nPython runtime state: initialized\n\n`);
  });
});
