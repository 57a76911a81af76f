/** The spec's boundaries, stated exactly (each one a rule of CPython 3.11). */
import { expect, test } from 'vitest';
import { predictRelease } from '../../spec/debug.ts';
import { Heap } from '../../spec/heap.ts';
import { SpecImplementation } from '../../spec/index.ts';
import { PY_SSIZE_T_MAX, newVarOutcome } from '../../spec/sizes.ts';

test('calloc refuses exactly when nelem > PY_SSIZE_T_MAX / elsize', () => {
  const h = new Heap();
  const es = 1n << 40n;
  const max = PY_SSIZE_T_MAX / es;
  expect(h.calloc('r', max + 1n, es)).toBe(0);
  expect(h.calloc('r', 3n, 0n)).not.toBe(0);
  expect(h.calloc('r', 0n, 3n)).not.toBe(0);
  expect(h.calloc('r', 1n, 16n)).not.toBe(0);
});

test('reads and writes may touch exactly the whole block, and no further', () => {
  const h = new Heap();
  const p = h.malloc('m', 8n);
  h.write(p, 0, new Uint8Array(8).fill(7));
  expect([...h.read(p, 0, 8).bytes]).toEqual(new Array(8).fill(7));
  expect(() => h.read(p, 1, 8)).toThrow('read outside block');
  expect(() => h.write(p, -1, Uint8Array.of(1))).toThrow('write outside block');
  expect(() => h.block(p + 16)).toThrow('no live block at');
  const q = h.malloc('m', 0n);
  expect(q - p).toBeGreaterThanOrEqual(16);
  h.undefine(p, 2, 100);
  expect([...h.read(p, 0, 8).defined]).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
  h.undefine(0x999, 0, 1);
  expect(h.checkRelease('m', 0, 'free')).toBeNull();
  expect(h.realloc('m', p, 4n)).not.toBe(p);
});

test('NewVar: sizes above PY_SSIZE_T_MAX are MemoryError; the header needs 24 bytes', () => {
  expect(newVarOutcome(24n, 8n, (PY_SSIZE_T_MAX - 31n) / 8n)).toEqual({ kind: 'allocates', size: PY_SSIZE_T_MAX - 7n, headerFits: true });
  expect(newVarOutcome(24n, 8n, 1n << 60n).kind).toBe('memory-error');
  expect(newVarOutcome(24n, 8n, -1n)).toEqual({ kind: 'allocates', size: 16n, headerFits: false });
  expect(newVarOutcome(24n, 8n, 0n)).toEqual({ kind: 'allocates', size: 24n, headerFits: true });
});

test('debug checks: only bytes p-8..p+N+7 matter, FORBIDDENBYTE itself is harmless, and the order is id, leading, trailing', () => {
  const f = (oob: Array<[number, number]>, via: 'r' | 'm' | 'o' = 'm', op: 'free' | 'realloc' = 'free') => predictRelease('m', 16, new Map(oob), via, op);
  expect(f([])).toBeNull();
  expect(f([[-9, 1], [24, 1], [-1, 0xfd], [16, 0xfd]])).toBeNull();
  expect(f([[23, 1]])).toBe('Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte');
  expect(f([[16, 1]], 'm', 'realloc')).toBe('Fatal Python error: _PyMem_DebugRawRealloc: bad trailing pad byte');
  expect(f([[-7, 1], [16, 1]])).toBe('Fatal Python error: _PyMem_DebugRawFree: bad leading pad byte');
  expect(f([[-1, 1]])).toBe('Fatal Python error: _PyMem_DebugRawFree: bad leading pad byte');
  expect(f([[-8, 0x78], [-1, 1]])).toBe("Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'x', verified using API 'm'");
  expect(f([], 'o')).toBe("Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'o'");
  expect(f([[-8, 0x6f]], 'o')).toBeNull();
});

test('the spec as an Implementation: its name, features and errors', async () => {
  const s = new SpecImplementation();
  expect(s.name).toBe('spec');
  expect([...s.features]).toEqual(['raw', 'mem', 'obj', 'objects']);
  await expect(s.typeRefcnt(0x42)).rejects.toThrow('no type at 0x42');
  await expect(s.objectHeader(0x42)).rejects.toThrow('no object at 0x42');
  const p = await s.malloc('o', 8n);
  await s.write(p, 0, Uint8Array.of(9));
  expect([...(await s.read(p, 0, 1))]).toEqual([9]);
  await s.free('o', p);
  expect(s.heap.blocks.size).toBe(0);
  const t = await s.newType(16, 0, true);
  const t2 = await s.newType(16, 0, true);
  expect(t2 - t).toBe(0x400);
  const o = await s.objectNew(t);
  expect(o).toEqual({ ptr: o.ptr });
  await s.objectDel(o.ptr);
  expect(s.objects.headers.size).toBe(0);
  expect(s.heap.blocks.size).toBe(0);
});

test('the three families, in the order of the domains', async () => {
  const { FAMILIES } = await import('../../spec/families.ts');
  expect([...FAMILIES]).toEqual(['r', 'm', 'o']);
});
