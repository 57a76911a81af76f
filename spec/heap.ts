/**
 * The abstract heap: live blocks with an owner family, a requested size and contents.
 * It is the reference implementation of the allocator half of `Implementation`:
 * addresses are handed out by a bump pointer (16-aligned, never reused, with a gap
 * between blocks), which is obviously non-overlapping and aligned. It also knows which
 * bytes are defined: malloc'd bytes are not, until written; calloc'd bytes are zero;
 * realloc keeps min(old, new) bytes.
 */
import { FUNCTIONS, mixViolation, type Family, type MixViolation } from './families.ts';
import { PY_SSIZE_T_MAX } from './sizes.ts';

export interface Block {
  readonly addr: number;
  readonly family: Family;
  readonly size: number;
  /** contents; `defined[i]` says whether bytes[i] has a value the caller can rely on. */
  readonly bytes: Uint8Array;
  readonly defined: Uint8Array;
}

/** Requests up to this many bytes must succeed; larger ones may fail (memory is finite). */
export const SURELY_SATISFIABLE = 1n << 24n;

/** A misuse the spec detects: the family rule, or a pointer that is not a live block. */
export type Violation = MixViolation | { kind: 'not-a-block'; operation: string; message: string };

export class SpecViolationError extends Error {
  constructor(readonly violation: Violation) {
    super(violation.message);
  }
}

export class Heap {
  private next = 0x100000;
  readonly blocks = new Map<number, Block>();

  /** Fresh block of `size` bytes (size 0 still gets a unique address). */
  private place(family: Family, size: number, zero: boolean): Block {
    const addr = this.next;
    this.next += Math.ceil(Math.max(size, 1) / 16) * 16 + 16;
    const b: Block = { addr, family, size, bytes: new Uint8Array(size), defined: new Uint8Array(size).fill(zero ? 1 : 0) };
    this.blocks.set(addr, b);
    return b;
  }

  /** Whether a request of `size` bytes must fail (true), must succeed (false) or may do either (null). */
  static mustFail(size: bigint): boolean | null {
    if (size > PY_SSIZE_T_MAX) return true;
    if (size <= SURELY_SATISFIABLE) return false;
    return null;
  }

  malloc(family: Family, size: bigint): number {
    if (Heap.mustFail(size) !== false) return 0;
    return this.place(family, Number(size), false).addr;
  }

  calloc(family: Family, nelem: bigint, elsize: bigint): number {
    if (elsize !== 0n && nelem > PY_SSIZE_T_MAX / elsize) return 0;
    const total = nelem * elsize;
    if (Heap.mustFail(total) !== false) return 0;
    return this.place(family, Number(total), true).addr;
  }

  /** The live block at addr, or a violation naming the operation. */
  private owned(addr: number, family: Family, operation: 'free' | 'realloc'): Block {
    const b = this.blocks.get(addr);
    if (b === undefined) {
      throw new SpecViolationError({
        kind: 'not-a-block', operation,
        message: `${FUNCTIONS[family][operation]}(0x${addr.toString(16)}): not a live block`,
      });
    }
    const mix = mixViolation(b.family, family, operation);
    if (mix !== null) throw new SpecViolationError(mix);
    return b;
  }

  realloc(family: Family, addr: number, size: bigint): number {
    if (addr === 0) return this.malloc(family, size);
    const old = this.owned(addr, family, 'realloc');
    if (Heap.mustFail(size) !== false) return 0;
    const n = Number(size);
    const keep = Math.min(old.size, n);
    this.blocks.delete(addr);
    const b = this.place(family, n, false);
    b.bytes.set(old.bytes.subarray(0, keep));
    b.defined.set(old.defined.subarray(0, keep));
    return b.addr;
  }

  free(family: Family, addr: number): void {
    if (addr === 0) return;
    this.owned(addr, family, 'free');
    this.blocks.delete(addr);
  }

  /** Check a release without performing it: the violation it would be, or null. */
  checkRelease(family: Family, addr: number, operation: 'free' | 'realloc'): Violation | null {
    try {
      if (addr !== 0) this.owned(addr, family, operation);
      return null;
    } catch (e) {
      if (e instanceof SpecViolationError) return e.violation;
      throw e;
    }
  }

  /** Mark bytes as no longer predictable (an object header now lives there). */
  undefine(addr: number, offset: number, length: number): void {
    const b = this.blocks.get(addr);
    if (b !== undefined) b.defined.fill(0, offset, Math.min(b.size, offset + length));
  }

  block(addr: number): Block {
    const b = this.blocks.get(addr);
    if (b === undefined) throw new Error(`no live block at 0x${addr.toString(16)}`);
    return b;
  }

  write(addr: number, offset: number, data: Uint8Array): void {
    const b = this.block(addr);
    if (offset < 0 || offset + data.length > b.size) throw new Error(`write outside block 0x${addr.toString(16)}`);
    b.bytes.set(data, offset);
    b.defined.fill(1, offset, offset + data.length);
  }

  /** Bytes and their definedness. */
  read(addr: number, offset: number, length: number): { bytes: Uint8Array; defined: Uint8Array } {
    const b = this.block(addr);
    if (offset < 0 || offset + length > b.size) throw new Error(`read outside block 0x${addr.toString(16)}`);
    return { bytes: b.bytes.slice(offset, offset + length), defined: b.defined.slice(offset, offset + length) };
  }
}
