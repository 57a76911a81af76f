/**
 * The "malloc" allocator (_PyMem_RawMalloc & co. in obmalloc.c): the C library with the
 * zero-size rules that make every 0-byte request return a distinct non-NULL pointer.
 */
import type { LibC } from '../memory/os.ts';
import type { Allocator } from './allocator.ts';

export class MallocAllocator implements Allocator {
  constructor(private readonly libc: LibC) {}

  /** _PyMem_RawMalloc: malloc(n ? n : 1) */
  malloc(n: number): number {
    return this.libc.malloc(n === 0 ? 1 : n);
  }

  /** _PyMem_RawCalloc: calloc(1, 1) when either factor is 0 */
  calloc(nelem: number, elsize: number): number {
    if (nelem === 0 || elsize === 0) return this.libc.calloc(1, 1);
    return this.libc.calloc(nelem, elsize);
  }

  /** _PyMem_RawRealloc: realloc(p, n ? n : 1) */
  realloc(p: number, n: number): number {
    return this.libc.realloc(p, n === 0 ? 1 : n);
  }

  /** _PyMem_RawFree */
  free(p: number): void {
    this.libc.free(p);
  }
}
