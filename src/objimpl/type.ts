/**
 * Type objects, as far as objimpl.h looks at them: tp_basicsize, tp_itemsize, tp_flags
 * (HEAPTYPE, HAVE_GC, MANAGED_DICT) and the type's own reference count, which lives in
 * simulated memory at the type's address like any ob_refcnt. Type objects sit in their
 * own area of the address space (as static types sit in libpython's data), so making
 * one never disturbs the allocator under test.
 */
import type { AddressSpace } from '../memory/address-space.ts';

export const Py_TPFLAGS_MANAGED_DICT = 1 << 4;
export const Py_TPFLAGS_HEAPTYPE = 1 << 9;
export const Py_TPFLAGS_HAVE_GC = 1 << 14;

/** Where type objects are placed, and how far apart (bytes). */
export const TYPE_AREA = 0x7f3c6a000000;
export const TYPE_STRIDE = 0x400;

export interface TypeObject {
  readonly address: number;
  readonly tp_basicsize: number;
  readonly tp_itemsize: number;
  readonly tp_flags: number;
}

export class TypeTable {
  private readonly byAddr = new Map<number, TypeObject>();

  constructor(private readonly space: AddressSpace) {}

  /** A new type object with refcount 1. */
  create(tp_basicsize: number, tp_itemsize: number, tp_flags: number): TypeObject {
    const t: TypeObject = { address: TYPE_AREA + this.byAddr.size * TYPE_STRIDE, tp_basicsize, tp_itemsize, tp_flags };
    this.byAddr.set(t.address, t);
    this.space.store64(t.address, 1n);
    return t;
  }

  get(address: number): TypeObject | undefined {
    return this.byAddr.get(address);
  }

  refcnt(t: TypeObject): bigint {
    return BigInt.asIntN(64, this.space.load64(t.address));
  }

  /** Py_INCREF(type) */
  incref(t: TypeObject): void {
    this.space.store64(t.address, this.refcnt(t) + 1n);
  }
}

/** _PyType_PreHeaderSize: the bytes in front of an object of this type (GC head, managed dict). */
export function _PyType_PreHeaderSize(t: TypeObject): number {
  return (t.tp_flags & Py_TPFLAGS_HAVE_GC ? 16 : 0) + (t.tp_flags & Py_TPFLAGS_MANAGED_DICT ? 16 : 0);
}
