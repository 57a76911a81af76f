/**
 * The domain layer: what each PYTHONMALLOC mode installs (fact sheet 2.5), the public
 * functions' size guards (2.2), the "malloc" allocator's zero-size rules (2.3), and our
 * model behind the Implementation seam.
 */
import { describe, expect, test } from 'vitest';
import { FUNCTIONS } from '../../spec/families.ts';
import { ImplementationAborted } from '../../spec/implementation.ts';
import { APIS, MODES, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ, PYMEM_DOMAIN_RAW, domainOf, type Allocator } from '../../src/domains/allocator.ts';
import { MallocAllocator } from '../../src/domains/malloc.ts';
import { Runtime, callocOverflows } from '../../src/domains/runtime.ts';
import { DebugAllocator, installDebugHooks } from '../../src/debug/debug-hooks.ts';
import { ModelImplementation } from '../../src/implementation.ts';
import type { LibC } from '../../src/memory/os.ts';

function spy(): Allocator & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    malloc: (n) => { calls.push(`malloc ${n}`); return 0x1000; },
    calloc: (a, b) => { calls.push(`calloc ${a} ${b}`); return 0x2000; },
    realloc: (p, n) => { calls.push(`realloc ${p} ${n}`); return 0x3000; },
    free: (p) => { calls.push(`free ${p}`); },
  };
}

describe('modes', () => {
  test('the PYTHONMALLOC names and the API letters', () => {
    expect([...MODES]).toEqual(['default', 'pymalloc', 'malloc', 'debug', 'pymalloc_debug', 'malloc_debug']);
    expect([...APIS]).toEqual(['r', 'm', 'o']);
    expect([domainOf('r'), domainOf('m'), domainOf('o')]).toEqual([PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ]);
    expect([PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ]).toEqual([0, 1, 2]);
  });

  test('each mode installs malloc / pymalloc per domain, and hooks for the *_debug modes', () => {
    for (const mode of MODES) {
      const rt = new Runtime({ mode, installHooks: installDebugHooks });
      const debug = mode.endsWith('debug');
      const small = mode === 'malloc' || mode === 'malloc_debug' ? rt.mallocAllocator : rt.pymalloc;
      for (const d of [0, 1, 2]) {
        const a = rt.getAllocator(d);
        expect(a instanceof DebugAllocator, `${mode} domain ${d}`).toBe(debug);
        if (!debug) expect(a, `${mode} domain ${d}`).toBe(d === 0 ? rt.mallocAllocator : small);
      }
      const p = rt.malloc('o', 40);
      expect(rt.pymalloc.arenaOf(p) >= 0, mode).toBe(small === rt.pymalloc);
      expect(rt.mode).toBe(mode);
    }
    expect(new Runtime().mode).toBe('default');
    expect(() => new Runtime({ mode: 'debug' })).toThrow('PYTHONMALLOC=debug needs the debug hooks');
  });
});

describe('public functions', () => {
  test('sizes above PY_SSIZE_T_MAX are refused before the domain is called; others reach it', () => {
    const rt = new Runtime();
    const s = spy();
    for (const d of [0, 1, 2]) rt.setAllocator(d, s);
    expect(rt.malloc('m', 2 ** 64)).toBe(0);
    expect(rt.realloc('o', 0x10, 2 ** 64)).toBe(0);
    expect(rt.PyMem_RawMalloc(2 ** 64)).toBe(0);
    expect(rt.PyMem_RawRealloc(0x10, 2 ** 64)).toBe(0);
    expect(s.calls).toEqual([]);
    // 2^63 is PY_SSIZE_T_MAX + 1 in C but PY_SSIZE_T_MAX as a double: it reaches the allocator, which refuses it.
    expect(rt.malloc('m', 2 ** 63)).toBe(0x1000);
    expect(rt.PyMem_RawMalloc(2 ** 63)).toBe(0x1000);
    expect(rt.PyMem_RawRealloc(0x10, 2 ** 63)).toBe(0x3000);
    expect(rt.realloc('m', 0x10, 2 ** 63)).toBe(0x3000);
    s.calls.length = 0;
    expect(rt.PyMem_RawMalloc(5)).toBe(0x1000);
    expect(rt.PyMem_RawRealloc(0x10, 6)).toBe(0x3000);
    expect(rt.realloc('r', 0x10, 7)).toBe(0x3000);
    expect(rt.PyMem_RawCalloc(2, 3)).toBe(0x2000);
    expect(rt.calloc('o', 4, 5)).toBe(0x2000);
    expect(rt.calloc('o', 2 ** 40, 2 ** 40)).toBe(0);
    rt.PyMem_RawFree(0x10);
    rt.free('m', 0x20);
    expect(s.calls).toEqual(['malloc 5', 'realloc 16 6', 'realloc 16 7', 'calloc 2 3', 'calloc 4 5', 'free 16', 'free 32']);
  });

  test('calloc overflow guard: elsize != 0 && nelem > PY_SSIZE_T_MAX / elsize, exactly', () => {
    expect(callocOverflows(2 ** 60, 0)).toBe(false);
    expect(callocOverflows(0, 2 ** 60)).toBe(false);
    expect(callocOverflows(1000, 1000)).toBe(false);
    const es = 2 ** 20;
    const max = Number(((1n << 63n) - 1n) / BigInt(es));
    expect(callocOverflows(max, es)).toBe(false);
    expect(callocOverflows(max + 1, es)).toBe(true);
    expect(callocOverflows(2 ** 33, 2 ** 30)).toBe(true);
    expect(callocOverflows(2 ** 32, 2 ** 30)).toBe(false);
  });
});

describe('the malloc allocator', () => {
  test('0-byte requests become 1-byte ones; calloc with a zero factor is calloc(1, 1)', () => {
    const calls: string[] = [];
    const libc: LibC = {
      malloc: (n) => { calls.push(`malloc ${n}`); return 16; },
      calloc: (a, b) => { calls.push(`calloc ${a} ${b}`); return 32; },
      realloc: (p, n) => { calls.push(`realloc ${p} ${n}`); return 48; },
      free: (p) => { calls.push(`free ${p}`); },
    };
    const m = new MallocAllocator(libc);
    expect(m.malloc(0)).toBe(16);
    m.malloc(7);
    expect(m.calloc(0, 5)).toBe(32);
    m.calloc(5, 0);
    m.calloc(3, 4);
    expect(m.realloc(8, 0)).toBe(48);
    m.realloc(8, 9);
    m.free(8);
    expect(calls).toEqual(['malloc 1', 'malloc 7', 'calloc 1 1', 'calloc 1 1', 'calloc 3 4', 'realloc 8 1', 'realloc 8 9', 'free 8']);
  });
});

describe('the model behind the Implementation seam', () => {
  test('name, features per mode, and a fatal error of the hooks ends the process (status 134)', async () => {
    expect(new ModelImplementation().name).toBe('objimpl-model');
    expect([...new ModelImplementation({ mode: 'default' }).features]).toEqual(['raw', 'mem', 'obj', 'objects']);
    for (const mode of ['debug', 'pymalloc_debug', 'malloc_debug'] as const) {
      const m = new ModelImplementation({ mode });
      expect(m.features.has('debug'), mode).toBe(true);
      const p = await m.malloc('m', 16n);
      const err = await m.free('r', p).then(() => null, (e: unknown) => e);
      expect(err, mode).toBeInstanceOf(ImplementationAborted);
      expect((err as ImplementationAborted).status).toBe(134);
      expect((err as ImplementationAborted).stderr).toContain("Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'r'");
      expect((err as ImplementationAborted).message).toContain('bad ID');
    }
  });

  test('reads and writes at an offset from a block, and the abort message', async () => {
    const m = new ModelImplementation();
    const p = await m.malloc('o', 64n);
    await m.write(p, 10, Uint8Array.of(1, 2, 3));
    expect([...(await m.read(p, 9, 5))]).toEqual([expect.any(Number), 1, 2, 3, expect.any(Number)]);
    expect([...m.rt.space.read(p + 10, 3)]).toEqual([1, 2, 3]);
    const e = new ImplementationAborted('Debug memory block\nFatal Python error: f: m\nPython runtime state: initialized\n', 134);
    expect(e.message).toBe('implementation aborted (status 134): Fatal Python error: f: m');
    expect(new ImplementationAborted('segfault', null).message).toBe('implementation aborted (status null): segfault');
  });

  test('headers carry ob_size only for types with items; failures name MemoryError', async () => {
    const m = new ModelImplementation();
    const plain = await m.newType(32, 0, false);
    const items = await m.newType(24, 8, true);
    const a = await m.objectNew(plain);
    expect(await m.objectHeader(a.ptr)).toEqual({ refcnt: 1n, type: plain });
    const b = await m.objectNewVar(items, 3n);
    expect(await m.objectHeader(b.ptr)).toEqual({ refcnt: 1n, type: items, size: 3n });
    expect(await m.objectNewVar(items, 1n << 60n)).toEqual({ ptr: 0, exception: 'MemoryError' });
    expect(await m.objectInit(0, plain)).toEqual({ ptr: 0, exception: 'MemoryError' });
    expect(m.obj.err).toBeNull();
    await expect(m.typeRefcnt(0x1234)).rejects.toThrow('no type at 0x1234');
    await m.objectDel(a.ptr);
    await m.objectDel(b.ptr);
  });
});

test('the C function names of each family', () => {
  expect(FUNCTIONS).toEqual({
    r: { malloc: 'PyMem_RawMalloc', calloc: 'PyMem_RawCalloc', realloc: 'PyMem_RawRealloc', free: 'PyMem_RawFree' },
    m: { malloc: 'PyMem_Malloc', calloc: 'PyMem_Calloc', realloc: 'PyMem_Realloc', free: 'PyMem_Free' },
    o: { malloc: 'PyObject_Malloc', calloc: 'PyObject_Calloc', realloc: 'PyObject_Realloc', free: 'PyObject_Free' },
  });
});
