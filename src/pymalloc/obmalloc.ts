/**
 * pymalloc's entry points (obmalloc.c, 3.11): pymalloc_alloc / pymalloc_free /
 * pymalloc_realloc and the allocator functions built on them, _PyObject_Malloc,
 * _PyObject_Calloc, _PyObject_Realloc, _PyObject_Free, which fall back to the RAW domain
 * for what pymalloc refuses (0 bytes, more than 512, or no arena to be had).
 *
 * Addresses cross this boundary as numbers (0 = NULL); inside, blocks are internal
 * offsets into the arena backing store.
 */
import * as $space from '../memory/address-space.ts';
import * as $constants from './constants.ts';
import * as $sizeclass from './sizeclass.ts';
import * as $arena from './arena.ts';
import * as $pool from './pool.ts';
import type { PymallocState } from './state.ts';
import * as $state from './state.ts';

// Imported values as module-level constants, which V8 folds (see constants.ts).
const { SLOT_SIZE } = $space;
const { INDEX2SIZE, POOL_SIZE, POOL_SIZE_MASK } = $constants;
const { isSmallRequest, sizeClassOf } = $sizeclass;
const { arena_pool_freed, take_pool } = $arena;
const { getLink, init_pool, insert_to_usedpool, make_sole_used, pymalloc_pool_extend, setLink, unlink_pool } = $pool;
const { NIL, poolOf, PH_ADDRHI, PH_ADDRLO, PH_ARENAINDEX, PH_COUNT, PH_FREEBLOCK, PH_NEXTPOOL, PH_SZIDX, PH_WORDS } = $state;

const TWO32 = 4294967296;

export class Pymalloc {
  constructor(readonly s: PymallocState) {}

  /** pymalloc_alloc: a block of class (n-1)>>4 as an internal offset, or 0 (refused). */
  pymalloc_alloc(n: number): number {
    if (!isSmallRequest(n)) return 0;
    const s = this.s;
    const ph = s.ph;
    const c = sizeClassOf(n);
    const pool = ph[c * PH_WORDS + PH_NEXTPOOL];
    if (pool !== c) {
      const h = pool * PH_WORDS;
      // Stryker disable next-line ArithmeticOperator: PH_COUNT is 0, so `- PH_COUNT` is `+ PH_COUNT` (other arithmetic mutants of this line are caught, but share the mutator name)
      ph[h + PH_COUNT]++;
      const bp = ph[h + PH_FREEBLOCK];
      const next = getLink(s, pool, bp);
      ph[h + PH_FREEBLOCK] = next;
      if (next === 0) pymalloc_pool_extend(s, pool, c);
      return bp;
    }
    return this.allocate_from_new_pool(c);
  }

  /** allocate_from_new_pool: class c has no used pool; start one. */
  private allocate_from_new_pool(c: number): number {
    const s = this.s;
    const pool = take_pool(s);
    if (pool === NIL) return 0;
    make_sole_used(s, pool, c);
    // Stryker disable next-line ArithmeticOperator: PH_COUNT is 0, so `- PH_COUNT` is `+ PH_COUNT` (other arithmetic mutants of this line are caught, but share the mutator name)
    s.ph[pool * PH_WORDS + PH_COUNT] = 1;
    if (s.ph[pool * PH_WORDS + PH_SZIDX] === c) {
      // A cached empty pool of the same class: its free list is still valid.
      const bp = s.ph[pool * PH_WORDS + PH_FREEBLOCK];
      s.ph[pool * PH_WORDS + PH_FREEBLOCK] = getLink(s, pool, bp);
      return bp;
    }
    return init_pool(s, pool, c);
  }

  /** Arena index owning address p (address_in_range), or -1. */
  arenaOf(p: number): number {
    return this.s.tree.arenaOf(p);
  }

  /** Internal offset of an address inside arena `ao`. */
  offsetIn(ao: number, p: number): number {
    return ao * SLOT_SIZE + (p - this.s.space.slotBase[ao]);
  }

  /** Address of internal offset `off` (a block start). */
  addressOf(off: number): number {
    const ph = this.s.ph;
    const h = poolOf(off) * PH_WORDS;
    return ph[h + PH_ADDRHI] * TWO32 + ((ph[h + PH_ADDRLO] + (off & POOL_SIZE_MASK)) >>> 0);
  }

  /** pymalloc_free: false means "not mine". */
  pymalloc_free(p: number): boolean {
    const ao = this.arenaOf(p);
    if (ao < 0) return false;
    this.free_offset(this.offsetIn(ao, p));
    return true;
  }

  /** The body of pymalloc_free for a block known to be in an arena. */
  free_offset(off: number): void {
    const s = this.s;
    const ph = s.ph;
    const pool = poolOf(off);
    const h = pool * PH_WORDS;
    const lastfree = ph[h + PH_FREEBLOCK];
    setLink(s, pool, off, lastfree);
    ph[h + PH_FREEBLOCK] = off;
    // Stryker disable next-line ArithmeticOperator: PH_COUNT is 0, so `- PH_COUNT` is `+ PH_COUNT` (other arithmetic mutants of this line are caught, but share the mutator name)
    ph[h + PH_COUNT]--;
    if (lastfree === 0) {
      insert_to_usedpool(s, pool);
      return;
    }
    // Stryker disable next-line ArithmeticOperator: PH_COUNT is 0, so `- PH_COUNT` is `+ PH_COUNT` (other arithmetic mutants of this line are caught, but share the mutator name)
    if (ph[h + PH_COUNT] !== 0) return;
    this.insert_to_freepool(pool);
  }

  /** insert_to_freepool: the pool just became empty. */
  private insert_to_freepool(pool: number): void {
    const s = this.s;
    unlink_pool(s, pool);
    const ao = s.ph[pool * PH_WORDS + PH_ARENAINDEX];
    s.ph[pool * PH_WORDS + PH_NEXTPOOL] = s.freepools[ao];
    s.freepools[ao] = pool;
    arena_pool_freed(s, ao);
  }

  /** _PyObject_Malloc */
  malloc(n: number): number {
    const off = this.pymalloc_alloc(n);
    if (off !== 0) return this.addressOf(off);
    return this.raw_malloc(n);
  }

  /** The RAW fallback of _PyObject_Malloc, counted in raw_allocated_blocks. */
  private raw_malloc(n: number): number {
    const p = this.s.raw.malloc(n);
    if (p !== 0) this.s.raw_allocated_blocks++;
    return p;
  }

  /** _PyObject_Calloc (the public wrapper has already refused nelem*elsize overflow). */
  calloc(nelem: number, elsize: number): number {
    const nbytes = nelem * elsize;
    const off = this.pymalloc_alloc(nbytes);
    if (off !== 0) {
      this.s.space.zeroArenaBytes(off, nbytes);
      return this.addressOf(off);
    }
    const p = this.s.raw.calloc(nelem, elsize);
    if (p !== 0) this.s.raw_allocated_blocks++;
    return p;
  }

  /** _PyObject_Realloc */
  realloc(p: number, n: number): number {
    if (p === 0) return this.malloc(n);
    const ao = this.arenaOf(p);
    if (ao < 0) return this.s.raw.realloc(p, n);
    // pymalloc_realloc
    const off = this.offsetIn(ao, p);
    let size = INDEX2SIZE(this.s.ph[(poolOf(off)) * PH_WORDS + PH_SZIDX]);
    if (n <= size) {
      if (4 * n > 3 * size) return p;
      size = n;
    }
    // A new block, the bytes copied, then the old block freed, in that order (the new
    // block may come from a new arena, which can move the backing store: read it after).
    const qoff = this.pymalloc_alloc(n);
    if (qoff !== 0) {
      this.s.space.mem.copyWithin(qoff, off, off + size);
      this.free_offset(off);
      return this.addressOf(qoff);
    }
    const q = this.raw_malloc(n);
    if (q !== 0) {
      this.s.space.write(q, this.s.space.mem.subarray(off, off + size));
      this.free_offset(off);
    }
    return q;
  }

  /** _PyObject_Free */
  free(p: number): void {
    if (p === 0) return;
    if (!this.pymalloc_free(p)) {
      this.s.raw.free(p);
      this.s.raw_allocated_blocks--;
    }
  }

  /** _Py_GetAllocatedBlocks: raw fallback blocks plus every block in a carved pool. */
  allocatedBlocks(): number {
    const s = this.s;
    let n = s.raw_allocated_blocks;
    // Stryker disable next-line EqualityOperator: entry maxarenas is past the typed arrays; it reads undefined and its pool range is empty
    for (let ao = 0; ao < s.maxarenas; ao++) {
      // Stryker disable next-line ConditionalExpression: an arena object without an arena either never had one (pool_address 0: an empty range) or was released wholly free, and its stale headers all count 0 (`true` is caught, but shares the mutator name)
      if (s.address[ao] === 0) continue;
      // Stryker disable next-line ConditionalExpression: frame 0 of a misaligned arena's slot is never carved, and new_arena cleared its header to count 0 (`true` is caught, but shares the mutator name)
      const first = poolOf(ao * SLOT_SIZE + (s.address[ao] % POOL_SIZE !== 0 ? POOL_SIZE : 0));
      const end = poolOf(s.pool_address[ao]);
      // Stryker disable next-line ArithmeticOperator,EqualityOperator: PH_COUNT is 0, so `- PH_COUNT` is `+ PH_COUNT` (other arithmetic mutants of this line are caught, but share the mutator name); `pool <= end` also counts frame `end`, which is in the same 65-frame slot and never carved (count 0): the next pool to carve, or the slot's last frame (`pool >= end` is caught)
      for (let pool = first; pool < end; pool++) n += s.ph[pool * PH_WORDS + PH_COUNT];
    }
    return n;
  }
}
