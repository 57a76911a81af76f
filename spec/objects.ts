/**
 * The object rules of objimpl.h in 3.11:
 *  - PyObject_Init(op, tp): ob_type = tp, ob_refcnt = 1, and the type's refcount goes up
 *    by one when tp is a heap type (never for a static type); NULL op gives MemoryError.
 *  - PyObject_InitVar(op, tp, n): as Init, and ob_size = n.
 *  - PyObject_New(tp): PyObject_Malloc(_PyObject_SIZE(tp)), then Init; NULL + MemoryError
 *    when the allocation fails. PyObject_NEW is the same macro.
 *  - PyObject_NewVar(tp, n): PyObject_Malloc(_PyObject_VAR_SIZE(tp, n)), then InitVar;
 *    PyObject_NEW_VAR is the same macro. No overflow check (see sizes.ts).
 *  - PyObject_Del(op): PyObject_Free(op); no destructor, the type keeps its refcount.
 */
import { Heap } from './heap.ts';
import { newVarOutcome, objectSize } from './sizes.ts';

export interface SpecType {
  readonly addr: number;
  readonly basicsize: bigint;
  readonly itemsize: bigint;
  readonly heap: boolean;
  refcnt: bigint;
}

export interface SpecObject {
  refcnt: bigint;
  type: SpecType;
  size?: bigint;
}

export class Objects {
  private nextType = 0x7000000;
  readonly types = new Map<number, SpecType>();
  /** Header of every block that was initialised as an object (by its address). */
  readonly headers = new Map<number, SpecObject>();

  constructor(readonly heap: Heap) {}

  newType(basicsize: bigint, itemsize: bigint, heap: boolean): SpecType {
    const t: SpecType = { addr: this.nextType, basicsize, itemsize, heap, refcnt: 1n };
    this.nextType += 0x400;
    this.types.set(t.addr, t);
    return t;
  }

  init(op: number, tp: SpecType): number {
    if (op === 0) return 0;
    if (tp.heap) tp.refcnt += 1n;
    this.headers.set(op, { refcnt: 1n, type: tp });
    this.heap.undefine(op, 0, 24);
    return op;
  }

  initVar(op: number, tp: SpecType, n: bigint): number {
    if (op === 0) return 0;
    this.init(op, tp);
    this.headers.get(op)!.size = n;
    return op;
  }

  /** PyObject_New: 0 means NULL with MemoryError. */
  new(tp: SpecType): number {
    return this.init(this.heap.malloc('o', objectSize(tp.basicsize)), tp);
  }

  /** PyObject_NewVar: 0 means NULL with MemoryError. */
  newVar(tp: SpecType, n: bigint): number {
    const outcome = newVarOutcome(tp.basicsize, tp.itemsize, n);
    if (outcome.kind === 'memory-error') return 0;
    return this.initVar(this.heap.malloc('o', outcome.size), tp, n);
  }

  del(op: number): void {
    this.heap.free('o', op);
    this.headers.delete(op);
  }
}
