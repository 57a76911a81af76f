/**
 * All of pymalloc's process-global state (file statics of obmalloc.c in 3.11), laid out
 * in typed arrays so the hot path allocates nothing.
 *
 * Naming: an arena object is named by its index in the `arenas` vector (-1 is NULL); a
 * pool by its *pool index*, which is its 16 KiB frame number in the arena backing store
 * plus NB_SMALL_SIZE_CLASSES. Pool indexes 0..31 are the sentinels of the 32 `usedpools`
 * lists (CPython fakes them with pointer arithmetic on the usedpools array). A block is
 * named by its internal byte offset in AddressSpace.mem; offset 0 is NULL (no block sits
 * at the start of a frame).
 */
import type { AddressSpace } from '../memory/address-space.ts';
import * as $space from '../memory/address-space.ts';
import * as $constants from './constants.ts';
import type { RadixTree } from './radix-tree.ts';
import type { ArenaAllocator } from '../memory/os.ts';

// Imported values as module-level constants, which V8 folds (see constants.ts).
const { SLOT_POOLS } = $space;
const { MAX_POOLS_IN_ARENA, NB_SMALL_SIZE_CLASSES } = $constants;

/** The RAW domain as pymalloc calls it (PyMem_RawMalloc & co., possibly hooked). */
export interface RawApi {
  malloc(n: number): number;
  calloc(nelem: number, elsize: number): number;
  realloc(p: number, n: number): number;
  free(p: number): void;
}

export const NIL = -1;

/** int32 words per pool header in PymallocState.ph, and the offset of each field. */
export const PH_WORDS = 16;
/** blocks handed out */
export const PH_COUNT = 0;
/** internal offset of the first free block, 0 if none */
export const PH_FREEBLOCK = 1;
/** usedpools list links (pool indexes), or the freepools stack (nextpool) */
export const PH_NEXTPOOL = 2;
export const PH_PREVPOOL = 3;
/** arena index owning the pool */
export const PH_ARENAINDEX = 4;
/** size class */
export const PH_SZIDX = 5;
/** byte offsets in the pool of the next virgin block and of the last one that fits */
export const PH_NEXTOFFSET = 6;
export const PH_MAXNEXTOFFSET = 7;
/** the pool's address as two 32-bit halves (low as int32), for writing free-list links */
export const PH_ADDRLO = 8;
export const PH_ADDRHI = 9;

export class PymallocState {
  // --- arena objects (struct arena_object), indexed by arena index ---
  maxarenas = 0;
  /** RAW address of the arena-object vector (what PyMem_RawRealloc returned), 0 if none. */
  arenasVector = 0;
  address = new Float64Array(0);
  /** internal offset of the next never-carved pool (pool_address). */
  pool_address = new Int32Array(0);
  nfreepools = new Int32Array(0);
  ntotalpools = new Int32Array(0);
  /** pool index of the head of the arena's cached empty pools, NIL if none. */
  freepools = new Int32Array(0);
  nextarena = new Int32Array(0);
  prevarena = new Int32Array(0);

  unused_arena_objects = NIL;
  usable_arenas = NIL;
  /** nfp2lasta[k]: rightmost arena in usable_arenas with nfreepools == k, or NIL. */
  nfp2lasta = new Int32Array(MAX_POOLS_IN_ARENA + 1).fill(NIL);

  narenas_currently_allocated = 0;
  ntimes_arena_allocated = 0;
  narenas_highwater = 0;
  raw_allocated_blocks = 0;

  // --- pool headers (struct pool_header), indexed by pool index ---
  /**
   * All pool headers in one array, PH_WORDS int32 per pool (one 64-byte cache line, as
   * a C pool header is): field f of pool p is ph[p * PH_WORDS + f].
   */
  ph = new Int32Array(NB_SMALL_SIZE_CLASSES * PH_WORDS);

  constructor(
    readonly space: AddressSpace,
    readonly arenaAllocator: ArenaAllocator,
    public raw: RawApi,
    readonly tree: RadixTree,
  ) {
    // usedpools: every list starts empty, i.e. its sentinel points at itself.
    // Stryker disable next-line EqualityOperator: `<=` also points pool index 32 (the first frame of slot 0) at itself, and new_arena resets that header before the pool can be used
    for (let c = 0; c < NB_SMALL_SIZE_CLASSES; c++) {
      this.ph[c * PH_WORDS + PH_NEXTPOOL] = c;
      this.ph[c * PH_WORDS + PH_PREVPOOL] = c;
    }
  }

  /** Grow the per-arena and per-pool tables to cover n arena objects. */
  growTables(n: number): void {
    const grow = <T extends Int32Array | Float64Array | Uint32Array>(a: T, len: number, fill: number): T => {
      const b = new (a.constructor as new (n: number) => T)(len);
      b.fill(fill);
      b.set(a);
      return b;
    };
    this.address = grow(this.address, n, 0);
    this.pool_address = grow(this.pool_address, n, 0);
    this.nfreepools = grow(this.nfreepools, n, 0);
    this.ntotalpools = grow(this.ntotalpools, n, 0);
    this.freepools = grow(this.freepools, n, NIL);
    this.nextarena = grow(this.nextarena, n, NIL);
    this.prevarena = grow(this.prevarena, n, NIL);
    const np = NB_SMALL_SIZE_CLASSES + n * SLOT_POOLS;
    // New headers stay zero: new_arena initialises every pool header of its slot.
    const ph = new Int32Array(np * PH_WORDS);
    ph.set(this.ph);
    this.ph = ph;
  }
}

/** Pool index of the pool holding internal offset `off` (POOL_ADDR). */
export function poolOf(off: number): number {
  return (off >>> 14) + NB_SMALL_SIZE_CLASSES;
}

/** Internal offset of the start of pool index `pool`. */
export function poolBase(pool: number): number {
  return (pool - NB_SMALL_SIZE_CLASSES) * 16384;
}
