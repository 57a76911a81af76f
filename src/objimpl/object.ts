/**
 * The objimpl layer (Objects/object.c, Modules/gcmodule.c, pycore_object.h in 3.11):
 * PyObject_Init / InitVar, _PyObject_New / NewVar (PyObject_New, PyObject_NEW,
 * PyObject_NewVar, PyObject_NEW_VAR are macros over these), PyObject_Del, and the GC
 * variants with their 16-byte PyGC_Head in front of the object. The object header lives
 * in simulated memory: ob_refcnt at +0, ob_type at +8, ob_size at +16 (little-endian).
 *
 * Functions return 0 where C returns NULL, with the exception recorded in `err`.
 */
import type { Runtime } from '../domains/runtime.ts';
import { PY_SSIZE_T_MAX_BIG } from '../pymalloc/constants.ts';
import { _PyObject_VAR_SIZE } from './size.ts';
import { _PyType_PreHeaderSize, Py_TPFLAGS_HEAPTYPE, TypeTable, type TypeObject } from './type.ts';

export interface PyErr {
  type: 'MemoryError' | 'SystemError';
  message: string;
}

export interface ObjectHeader {
  ob_refcnt: bigint;
  ob_type: number;
  ob_size: bigint;
}

/** The line that 3.11.7 reports for PyErr_BadInternalCall in _PyObject_GC_NewVar. */
export const GC_NEWVAR_BAD_CALL = 'Modules/gcmodule.c:2313: bad argument to internal function';

export class ObjImpl {
  readonly types: TypeTable;
  /** The current exception (PyErr_Occurred), or null. */
  err: PyErr | null = null;
  /** generations[0].count: GC objects allocated minus deallocated. */
  gc_count = 0;

  constructor(readonly rt: Runtime) {
    this.types = new TypeTable(rt.space);
  }

  newType(basicsize: number, itemsize: number, flags: number): TypeObject {
    return this.types.create(basicsize, itemsize, flags);
  }

  /** PyErr_NoMemory: set MemoryError (no message), return NULL. */
  private PyErr_NoMemory(): number {
    this.err = { type: 'MemoryError', message: '' };
    return 0;
  }

  /** _PyObject_Init: ob_type, heap-type incref, then _Py_NewReference (refcount 1). */
  private _PyObject_Init(op: number, tp: TypeObject): void {
    const space = this.rt.space;
    space.storePtr(op + 8, tp.address);
    if (tp.tp_flags & Py_TPFLAGS_HEAPTYPE) this.types.incref(tp);
    space.store64(op, 1n);
  }

  /** _PyObject_InitVar: ob_size first, then _PyObject_Init. */
  private _PyObject_InitVar(op: number, tp: TypeObject, n: bigint): void {
    this.rt.space.store64(op + 16, n);
    this._PyObject_Init(op, tp);
  }

  /** PyObject_Init */
  PyObject_Init(op: number, tp: TypeObject): number {
    if (op === 0) return this.PyErr_NoMemory();
    this._PyObject_Init(op, tp);
    return op;
  }

  /** PyObject_InitVar */
  PyObject_InitVar(op: number, tp: TypeObject, n: bigint): number {
    if (op === 0) return this.PyErr_NoMemory();
    this._PyObject_InitVar(op, tp, n);
    return op;
  }

  /** _PyObject_New (PyObject_New / PyObject_NEW) */
  _PyObject_New(tp: TypeObject): number {
    const op = this.rt.malloc('o', tp.tp_basicsize);
    if (op === 0) return this.PyErr_NoMemory();
    this._PyObject_Init(op, tp);
    return op;
  }

  /** _PyObject_NewVar (PyObject_NewVar / PyObject_NEW_VAR): no overflow check in 3.11. */
  _PyObject_NewVar(tp: TypeObject, n: bigint): number {
    const size = _PyObject_VAR_SIZE(BigInt(tp.tp_basicsize), BigInt(tp.tp_itemsize), n);
    const op = this.rt.malloc('o', Number(size));
    if (op === 0) return this.PyErr_NoMemory();
    this._PyObject_InitVar(op, tp, n);
    return op;
  }

  /** PyObject_Del / PyObject_DEL: PyObject_Free, no destructor. */
  PyObject_Del(op: number): void {
    this.rt.free('o', op);
  }

  /** Read the header of an object. */
  header(op: number): ObjectHeader {
    const space = this.rt.space;
    return {
      ob_refcnt: BigInt.asIntN(64, space.load64(op)),
      ob_type: space.loadPtr(op + 8),
      ob_size: BigInt.asIntN(64, space.load64(op + 16)),
    };
  }

  /** gc_alloc: the pre-header, zeroed, then the object; links the GC head. */
  private gc_alloc(basicsize: bigint, presize: number): number {
    if (basicsize > PY_SSIZE_T_MAX_BIG - BigInt(presize)) return this.PyErr_NoMemory();
    const mem = this.rt.malloc('o', Number(basicsize) + presize);
    if (mem === 0) return this.PyErr_NoMemory();
    this.rt.space.fill(mem, 16, 0);
    const op = mem + presize;
    // _PyObject_GC_Link: untracked head, one more allocation in generation 0.
    this.rt.space.fill(op - 16, 16, 0);
    this.gc_count++;
    return op;
  }

  /** _PyObject_GC_New (PyObject_GC_New) */
  _PyObject_GC_New(tp: TypeObject): number {
    const op = this.gc_alloc(BigInt(tp.tp_basicsize), _PyType_PreHeaderSize(tp));
    if (op === 0) return 0;
    this._PyObject_Init(op, tp);
    return op;
  }

  /** _PyObject_GC_NewVar (PyObject_GC_NewVar): refuses n < 0 with SystemError. */
  _PyObject_GC_NewVar(tp: TypeObject, n: bigint): number {
    if (n < 0n) {
      this.err = { type: 'SystemError', message: GC_NEWVAR_BAD_CALL };
      return 0;
    }
    const size = _PyObject_VAR_SIZE(BigInt(tp.tp_basicsize), BigInt(tp.tp_itemsize), n);
    const op = this.gc_alloc(size, _PyType_PreHeaderSize(tp));
    if (op === 0) return 0;
    this._PyObject_InitVar(op, tp, n);
    return op;
  }

  /** PyObject_GC_Del: frees from the start of the pre-header. */
  PyObject_GC_Del(op: number): void {
    const tp = this.types.get(this.rt.space.loadPtr(op + 8));
    const presize = tp === undefined ? 16 : _PyType_PreHeaderSize(tp);
    if (this.gc_count > 0) this.gc_count--;
    this.rt.free('o', op - presize);
  }
}
