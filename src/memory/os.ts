/**
 * The "operating system" below CPython's allocators: the arena allocator (mmap-like,
 * PyObjectArenaAllocator) and the C library's malloc family, which the "malloc"
 * allocator (_PyMem_RawMalloc & co.) calls. It decides addresses that pymalloc does not:
 * arena bases and RAW block addresses. pymalloc's own placement is a pure function of
 * these and the request sequence, so a replay swaps this model for recorded values.
 *
 * Every function returns 0 for NULL.
 */
import type { AddressSpace } from './address-space.ts';

export interface ArenaAllocator {
  /** mmap(size) for an arena; 4 KiB aligned; 0 on failure. */
  alloc(size: number): number;
  free(addr: number, size: number): void;
}

export interface LibC {
  malloc(n: number): number;
  calloc(nelem: number, elsize: number): number;
  realloc(p: number, n: number): number;
  free(p: number): void;
}

export interface OS {
  readonly arenas: ArenaAllocator;
  readonly libc: LibC;
}

/** bytes; requests above this fail, as a machine without that much memory would. */
export const LIBC_MAX_REQUEST = 2 ** 40;
const MMAP_THRESHOLD = 131072;
const PAGE = 4096;

/**
 * A deterministic glibc-like malloc: 16-byte aligned user pointers 16 bytes into a chunk,
 * chunks of max(32, round16(n + 16)) bytes, exact-size LIFO reuse of freed chunks, bump
 * allocation in a brk heap, large requests from an mmap region. Deterministic and
 * non-overlapping; it does not claim to place blocks where glibc would.
 */
export class ModelLibC implements LibC {
  private brk: number;
  private bins = new Map<number, number[]>();
  /** user pointer -> chunk size (bytes); large blocks carry a negative size. */
  private live = new Map<number, number>();
  private mmapTop: number;

  constructor(private readonly space: AddressSpace, heapBase = 0x55d0c8a3e000, mmapTop = 0x7f1e8c000000) {
    this.brk = heapBase;
    this.mmapTop = mmapTop;
  }

  /** Usable bytes of a live block, or -1 if p is not a live block. */
  usable(p: number): number {
    const cs = this.live.get(p);
    return cs === undefined ? -1 : Math.abs(cs) - 16;
  }

  malloc(n: number): number {
    if (!(n >= 0) || n > LIBC_MAX_REQUEST) return 0;
    if (n >= MMAP_THRESHOLD) {
      const len = Math.ceil((n + 16) / PAGE) * PAGE;
      this.mmapTop -= len;
      const p = this.mmapTop + 16;
      this.live.set(p, -len);
      return p;
    }
    const cs = Math.max(32, Math.ceil((n + 16) / 16) * 16);
    const bin = this.bins.get(cs);
    let chunk: number;
    if (bin !== undefined && bin.length > 0) chunk = bin.pop()!;
    else {
      chunk = this.brk;
      this.brk += cs;
    }
    const p = chunk + 16;
    this.live.set(p, cs);
    return p;
  }

  calloc(nelem: number, elsize: number): number {
    const total = nelem * elsize;
    if (elsize !== 0 && nelem > Math.floor(Number.MAX_SAFE_INTEGER / elsize)) return 0;
    const p = this.malloc(total);
    if (p !== 0) this.space.fill(p, total, 0);
    return p;
  }

  realloc(p: number, n: number): number {
    if (p === 0) return this.malloc(n);
    const cs = this.live.get(p);
    if (cs === undefined) return 0;
    if (!(n >= 0) || n > LIBC_MAX_REQUEST) return 0;
    const old = Math.abs(cs) - 16;
    if (cs > 0 && n < MMAP_THRESHOLD && Math.max(32, Math.ceil((n + 16) / 16) * 16) <= cs) return p;
    const q = this.malloc(n);
    if (q === 0) return 0;
    this.space.copy(q, p, Math.min(old, n));
    this.free(p);
    return q;
  }

  free(p: number): void {
    if (p === 0) return;
    const cs = this.live.get(p);
    if (cs === undefined) return;
    this.live.delete(p);
    if (cs < 0) return; // munmap: the address range is not reused by this model
    const bin = this.bins.get(cs);
    if (bin) bin.push(p - 16);
    else this.bins.set(cs, [p - 16]);
  }
}

/**
 * A deterministic mmap for arenas: top-down, 4 KiB aligned, freed ranges reused
 * first-fit from the top. The default base is 4 KiB but not 16 KiB aligned, so default
 * arenas hold 63 pools; pass a 16 KiB aligned top for 64-pool arenas.
 */
export class ModelArenas implements ArenaAllocator {
  private top: number;
  private holes: Array<[number, number]> = [];

  constructor(top = 0x7f3c5e9c3000) {
    this.top = top;
  }

  alloc(size: number): number {
    for (let i = 0; i < this.holes.length; i++) {
      const [a, len] = this.holes[i];
      if (len === size) {
        this.holes.splice(i, 1);
        return a;
      }
    }
    this.top -= Math.ceil(size / PAGE) * PAGE;
    return this.top;
  }

  free(addr: number, size: number): void {
    this.holes.push([addr, size]);
    this.holes.sort((x, y) => y[0] - x[0]);
  }
}

/** The default OS: the deterministic models above. */
export function modelOS(space: AddressSpace, arenas: ArenaAllocator = new ModelArenas()): OS {
  return { arenas, libc: new ModelLibC(space) };
}
