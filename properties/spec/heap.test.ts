/** The reference spec's own rules, stated directly (spec/heap.ts, spec/families.ts, spec/objects.ts). */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isAligned } from '../../spec/alignment.ts';
import { mixViolation, FAMILIES, type Family } from '../../spec/families.ts';
import { Heap, SpecViolationError, SURELY_SATISFIABLE } from '../../spec/heap.ts';
import { SpecImplementation } from '../../spec/index.ts';
import { PY_SSIZE_T_MAX } from '../../spec/sizes.ts';

const fam = fc.constantFrom<Family>(...FAMILIES);

describe('families', () => {
  test('releasing through another family is a named violation; the same family is fine', () => {
    fc.assert(fc.property(fam, fam, fc.constantFrom<'free' | 'realloc'>('free', 'realloc'), (a, b, op) => {
      const v = mixViolation(a, b, op);
      if (a === b) expect(v).toBeNull();
      else expect(v?.message).toBe(`allocated with '${a}', ${op === 'free' ? 'released' : 'resized'} with '${b}'`);
    }));
  });

  test('the heap refuses a wrong-family free and realloc and keeps the block', () => {
    const h = new Heap();
    const p = h.malloc('o', 16n);
    expect(() => h.free('m', p)).toThrow(new SpecViolationError(mixViolation('o', 'm', 'free')!).message);
    expect(() => h.realloc('r', p, 32n)).toThrow("allocated with 'o', resized with 'r'");
    expect(h.checkRelease('m', p, 'free')?.kind).toBe('family-mix');
    expect(h.checkRelease('o', p, 'free')).toBeNull();
    expect(h.blocks.has(p)).toBe(true);
    h.free('o', p);
    expect(() => h.free('o', p)).toThrow('PyObject_Free(0x');
    expect(h.checkRelease('o', p, 'realloc')?.kind).toBe('not-a-block');
  });
});

describe('allocation', () => {
  test('free(NULL) does nothing; realloc(NULL, n) is malloc(n); malloc(0) is a unique non-NULL block', () => {
    const h = new Heap();
    h.free('r', 0);
    expect(h.blocks.size).toBe(0);
    const a = h.realloc('m', 0, 10n);
    expect(h.block(a).size).toBe(10);
    const z1 = h.malloc('o', 0n);
    const z2 = h.malloc('o', 0n);
    expect(z1).not.toBe(0);
    expect(z2).not.toBe(z1);
  });

  test('every block is 16-byte aligned and no two live blocks overlap', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fam, fc.integer({ min: 0, max: 5000 })), { maxLength: 60 }), (reqs) => {
      const h = new Heap();
      const spans = reqs.map(([f, n]) => { const p = h.malloc(f, BigInt(n)); return [p, p + Math.max(n, 1)] as const; });
      for (const [p] of spans) expect(isAligned(p)).toBe(true);
      const sorted = [...spans].sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][1]);
    }));
  });

  test('sizes above PY_SSIZE_T_MAX fail; sizes up to SURELY_SATISFIABLE succeed; between, either', () => {
    expect(Heap.mustFail(PY_SSIZE_T_MAX + 1n)).toBe(true);
    expect(Heap.mustFail(PY_SSIZE_T_MAX)).toBeNull();
    expect(Heap.mustFail(SURELY_SATISFIABLE)).toBe(false);
    expect(Heap.mustFail(SURELY_SATISFIABLE + 1n)).toBeNull();
    expect(new Heap().malloc('r', PY_SSIZE_T_MAX + 1n)).toBe(0);
  });

  test('calloc zeroes, and refuses nelem*elsize overflow', () => {
    const h = new Heap();
    const p = h.calloc('m', 3n, 5n);
    const r = h.read(p, 0, 15);
    expect([...r.bytes]).toEqual(new Array(15).fill(0));
    expect([...r.defined]).toEqual(new Array(15).fill(1));
    expect(h.calloc('m', 2n, PY_SSIZE_T_MAX / 2n + 1n)).toBe(0);
    expect(h.calloc('m', 0n, PY_SSIZE_T_MAX)).not.toBe(0);
  });

  test('realloc keeps min(old, new) bytes; malloc leaves bytes undefined', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: 100 }), (data, n) => {
      const h = new Heap();
      const p = h.malloc('o', BigInt(data.length));
      expect([...h.read(p, 0, data.length).defined].every((d) => d === 0)).toBe(true);
      h.write(p, 0, data);
      const q = h.realloc('o', p, BigInt(n));
      const keep = Math.min(n, data.length);
      const r = h.read(q, 0, n);
      expect([...r.bytes.subarray(0, keep)]).toEqual([...data.subarray(0, keep)]);
      expect([...r.defined.subarray(0, keep)].every((d) => d === 1)).toBe(true);
      expect([...r.defined.subarray(keep)].every((d) => d === 0)).toBe(true);
    }));
  });

  test('reads and writes outside a block are refused', () => {
    const h = new Heap();
    const p = h.malloc('r', 8n);
    expect(() => h.write(p, 7, Uint8Array.of(1, 2))).toThrow('write outside block');
    expect(() => h.read(p, -1, 1)).toThrow('read outside block');
  });
});

describe('objects', () => {
  test('Init sets refcount 1 and the type; heap types gain a reference, static ones do not; NULL gives MemoryError', async () => {
    const s = new SpecImplementation();
    for (const heap of [true, false]) {
      const t = await s.newType(32, 0, heap);
      const before = await s.typeRefcnt(t);
      const p = await s.malloc('o', 32n);
      expect((await s.objectInit(p, t)).ptr).toBe(p);
      expect(await s.objectHeader(p)).toEqual({ refcnt: 1n, type: t });
      expect(await s.typeRefcnt(t)).toBe(before + (heap ? 1n : 0n));
      expect(await s.objectInit(0, t)).toEqual({ ptr: 0, exception: 'MemoryError' });
      expect(await s.typeRefcnt(t)).toBe(before + (heap ? 1n : 0n));
      await s.objectDel(p);
      expect(await s.typeRefcnt(t)).toBe(before + (heap ? 1n : 0n));
    }
  });

  test('NewVar sets ob_size; a wrapped size above PY_SSIZE_T_MAX is MemoryError; InitVar sets ob_size', async () => {
    const s = new SpecImplementation();
    const t = await s.newType(24, 8, true);
    const o = await s.objectNewVar(t, 3n);
    expect(await s.objectHeader(o.ptr)).toEqual({ refcnt: 1n, type: t, size: 3n });
    expect(await s.objectNewVar(t, 1n << 60n)).toEqual({ ptr: 0, exception: 'MemoryError' });
    const p = await s.malloc('o', 40n);
    await s.objectInitVar(p, t, -5n);
    expect((await s.objectHeader(p)).size).toBe(-5n);
    expect(await s.objectInitVar(0, t, 1n)).toEqual({ ptr: 0, exception: 'MemoryError' });
    expect(await s.objectNew(t)).toMatchObject({ ptr: expect.any(Number) });
  });
});
