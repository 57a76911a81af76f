/**
 * The GC variants (fact sheet 1.5): a PyGC_Head (16 bytes, plus 16 for a managed dict)
 * in front of the object, zeroed; generation-0 count; PyObject_GC_Del frees from the
 * start of the pre-header; gc_alloc refuses sizes that cannot take the pre-header.
 */
import { expect, test } from 'vitest';
import { PYMEM_DOMAIN_OBJ, type Allocator } from '../../src/domains/allocator.ts';
import { Runtime } from '../../src/domains/runtime.ts';
import { checkConsistency } from '../../src/pymalloc/check.ts';
import { ObjImpl } from '../../src/objimpl/object.ts';
import { Py_TPFLAGS_HAVE_GC, Py_TPFLAGS_HEAPTYPE, Py_TPFLAGS_MANAGED_DICT } from '../../src/objimpl/type.ts';

function model() {
  const rt = new Runtime({ mode: 'pymalloc' });
  const inner = rt.getAllocator(PYMEM_DOMAIN_OBJ);
  const calls: string[] = [];
  const spy: Allocator = {
    malloc: (n) => { const p = inner.malloc(n); calls.push(`malloc ${n} -> ${p}`); return p; },
    calloc: (a, b) => inner.calloc(a, b),
    realloc: (p, n) => inner.realloc(p, n),
    free: (p) => { calls.push(`free ${p}`); inner.free(p); },
  };
  rt.setAllocator(PYMEM_DOMAIN_OBJ, spy);
  return { rt, obj: new ObjImpl(rt), calls };
}

test('GC_New puts a zeroed 16-byte head in front; GC_Del frees from the head; generation-0 count follows', () => {
  const { rt, obj, calls } = model();
  const tp = obj.newType(32, 0, Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HEAPTYPE);
  // Dirty a block of the same class first, so zeroing is visible.
  const dirty = rt.malloc('o', 48);
  rt.space.fill(dirty, 48, 0xab);
  rt.free('o', dirty);
  calls.length = 0;
  const op = obj._PyObject_GC_New(tp);
  expect(calls).toEqual([`malloc 48 -> ${dirty}`]);
  expect(op).toBe(dirty + 16);
  expect([...rt.space.read(op - 16, 16)]).toEqual(new Array(16).fill(0));
  expect(obj.header(op)).toEqual({ ob_refcnt: 1n, ob_type: tp.address, ob_size: BigInt.asIntN(64, rt.space.load64(op + 16)) });
  expect(obj.gc_count).toBe(1);
  obj.PyObject_GC_Del(op);
  expect(calls[1]).toBe(`free ${dirty}`);
  expect(obj.gc_count).toBe(0);
  obj.PyObject_GC_Del(obj._PyObject_GC_New(tp));
  expect(obj.gc_count).toBe(0);
  expect(rt.pymalloc.allocatedBlocks()).toBe(0);
  expect(checkConsistency(rt.pymalloc.s)).toEqual([]);
});

test('a managed-dict type has a 32-byte pre-header; an unknown type frees 16 bytes back', () => {
  const { rt, obj, calls } = model();
  const tp = obj.newType(24, 0, Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_MANAGED_DICT);
  const op = obj._PyObject_GC_New(tp);
  const base = Number(calls[0].split(' -> ')[1]);
  expect(calls[0].startsWith('malloc 56 ')).toBe(true);
  expect(op).toBe(base + 32);
  obj.PyObject_GC_Del(op);
  expect(calls[1]).toBe(`free ${base}`);
  const raw = rt.malloc('o', 64);
  rt.space.storePtr(raw + 16 + 8, 0x1234);
  obj.PyObject_GC_Del(raw + 16);
  expect(calls[calls.length - 1]).toBe(`free ${raw}`);
  expect(rt.pymalloc.allocatedBlocks()).toBe(0);
});

test('GC_NewVar: n < 0 is SystemError; a size too big for the pre-header is MemoryError without a malloc', () => {
  const { obj, calls } = model();
  const tp = obj.newType(24, 8, Py_TPFLAGS_HAVE_GC);
  expect(obj._PyObject_GC_NewVar(tp, -1n)).toBe(0);
  expect(obj.err).toEqual({ type: 'SystemError', message: 'Modules/gcmodule.c:2313: bad argument to internal function' });
  const n = ((1n << 63n) - 1n - 24n) / 8n; // VAR_SIZE = PY_SSIZE_T_MAX - 7: fits size_t, not size + 16
  expect(obj._PyObject_GC_NewVar(tp, n)).toBe(0);
  expect(obj.err).toEqual({ type: 'MemoryError', message: '' });
  expect(calls).toEqual([]);
  const op = obj._PyObject_GC_NewVar(tp, 2n);
  expect(calls[0].startsWith('malloc 56 ')).toBe(true);
  expect(obj.header(op).ob_size).toBe(2n);
});

test('New and NewVar ask PyObject_Malloc, and a refusal is MemoryError with no header written', () => {
  const { rt, obj, calls } = model();
  const tp = obj.newType(40, 0, 0);
  const vt = obj.newType(24, 8, 0);
  rt.setAllocator(PYMEM_DOMAIN_OBJ, { malloc: (n) => { calls.push(`refuse ${n}`); return 0; }, calloc: () => 0, realloc: () => 0, free: () => {} });
  expect(obj._PyObject_New(tp)).toBe(0);
  expect(obj.err).toEqual({ type: 'MemoryError', message: '' });
  expect(obj._PyObject_NewVar(vt, 3n)).toBe(0);
  expect(obj._PyObject_GC_New(obj.newType(16, 0, Py_TPFLAGS_HAVE_GC))).toBe(0);
  expect(calls).toEqual(['refuse 40', 'refuse 48', 'refuse 32']);
  const m2 = model();
  const p = m2.obj._PyObject_New(m2.obj.newType(40, 0, 0));
  m2.obj.PyObject_Del(p);
  expect(m2.calls).toEqual([`malloc 40 -> ${p}`, `free ${p}`]);
});
