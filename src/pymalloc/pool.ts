/**
 * Pools: 16 KiB pieces of an arena, each serving one size class.
 *
 * A pool is in one of three states:
 *  - used: some blocks handed out, some free; it sits on usedpools[szidx], a circular
 *    doubly-linked list per size class whose head is where allocation happens;
 *  - full: every block handed out; it is on no list (its links go stale);
 *  - empty: no block handed out; it sits on its arena's `freepools` stack, keeping its
 *    szidx, free list and carving offsets so a same-class reuse skips re-initialising.
 * Transitions: used -> full when the last free block is taken; full -> used (moved to
 * the head of its class list) on the first free; used -> empty when the count drops to
 * zero; empty -> used when its arena hands it out again, possibly for another class.
 *
 * Free blocks form a singly-linked list whose links are written into the blocks
 * themselves (the first 8 bytes, little-endian address). Blocks past `nextoffset` were
 * never used and are carved one at a time, only when the list runs dry.
 */
import * as $constants from './constants.ts';
import type { PymallocState } from './state.ts';
import * as $state from './state.ts';

// Imported values as module-level constants, which V8 folds (see constants.ts).
const { INDEX2SIZE, POOL_OVERHEAD, POOL_SIZE, POOL_SIZE_MASK } = $constants;
const { poolBase, poolOf, PH_ADDRHI, PH_ADDRLO, PH_FREEBLOCK, PH_MAXNEXTOFFSET, PH_NEXTOFFSET, PH_NEXTPOOL, PH_PREVPOOL, PH_SZIDX, PH_WORDS } = $state;

/**
 * Write a free-list link into block `off` of `pool`: the address of block `target`, or
 * NULL. Blocks start 16-byte aligned, so the link is two aligned 32-bit words. (A wild
 * free of a misaligned pointer, undefined in C, writes at the word boundary below it.)
 */
export function setLink(s: PymallocState, pool: number, off: number, target: number): void {
  const w = off >>> 2;
  const u32 = s.space.u32;
  if (target === 0) {
    u32[w] = 0;
    u32[w + 1] = 0;
  } else {
    const h = pool * PH_WORDS;
    u32[w] = (s.ph[h + PH_ADDRLO] + (target & POOL_SIZE_MASK)) >>> 0;
    u32[w + 1] = s.ph[h + PH_ADDRHI];
  }
}

/**
 * Read the free-list link stored in block `off` of `pool`, as an internal offset (0 for
 * NULL). A link always points into its own pool, so its low 14 bits locate the block.
 */
export function getLink(s: PymallocState, pool: number, off: number): number {
  const w = off >>> 2;
  const u32 = s.space.u32;
  if ((u32[w] | u32[w + 1]) === 0) return 0;
  return poolBase(pool) + (u32[w] & POOL_SIZE_MASK);
}

/** Make `pool` the only member of usedpools[c] (allocate_from_new_pool). */
export function make_sole_used(s: PymallocState, pool: number, c: number): void {
  s.ph[pool * PH_WORDS + PH_NEXTPOOL] = c;
  s.ph[pool * PH_WORDS + PH_PREVPOOL] = c;
  s.ph[c * PH_WORDS + PH_NEXTPOOL] = pool;
  s.ph[c * PH_WORDS + PH_PREVPOOL] = pool;
}

/** Initialise a pool for class c and return its first block (allocate_from_new_pool). */
export function init_pool(s: PymallocState, pool: number, c: number): number {
  const size = INDEX2SIZE(c);
  const base = poolBase(pool);
  s.ph[pool * PH_WORDS + PH_SZIDX] = c;
  const bp = base + POOL_OVERHEAD;
  s.ph[pool * PH_WORDS + PH_NEXTOFFSET] = POOL_OVERHEAD + (size << 1);
  s.ph[pool * PH_WORDS + PH_MAXNEXTOFFSET] = POOL_SIZE - size;
  s.ph[pool * PH_WORDS + PH_FREEBLOCK] = bp + size;
  setLink(s, pool, bp + size, 0);
  return bp;
}

/**
 * pymalloc_pool_extend: the free list of `pool` ran dry; carve the next virgin block
 * if there is one, else the pool is full and leaves its class list.
 */
export function pymalloc_pool_extend(s: PymallocState, pool: number, c: number): void {
  if (s.ph[pool * PH_WORDS + PH_NEXTOFFSET] <= s.ph[pool * PH_WORDS + PH_MAXNEXTOFFSET]) {
    const fb = poolBase(pool) + s.ph[pool * PH_WORDS + PH_NEXTOFFSET];
    s.ph[pool * PH_WORDS + PH_FREEBLOCK] = fb;
    s.ph[pool * PH_WORDS + PH_NEXTOFFSET] += INDEX2SIZE(c);
    setLink(s, pool, fb, 0);
    return;
  }
  unlink_pool(s, pool);
}

/** Remove a pool from its usedpools list. */
export function unlink_pool(s: PymallocState, pool: number): void {
  const next = s.ph[pool * PH_WORDS + PH_NEXTPOOL];
  const prev = s.ph[pool * PH_WORDS + PH_PREVPOOL];
  s.ph[next * PH_WORDS + PH_PREVPOOL] = prev;
  s.ph[prev * PH_WORDS + PH_NEXTPOOL] = next;
}

/** insert_to_usedpool: a full pool got a free block; it becomes the head of its class list. */
export function insert_to_usedpool(s: PymallocState, pool: number): void {
  const next = s.ph[s.ph[pool * PH_WORDS + PH_SZIDX] * PH_WORDS + PH_NEXTPOOL];
  const prev = s.ph[next * PH_WORDS + PH_PREVPOOL];
  s.ph[pool * PH_WORDS + PH_NEXTPOOL] = next;
  // Stryker disable next-line ArithmeticOperator: a pool fills only while it heads its list, so its stale prevpool is already the sentinel, `prev`; `- PH_PREVPOOL` writes an unused word of the header before (the other arithmetic mutants of this line are caught, but share the mutator name)
  s.ph[pool * PH_WORDS + PH_PREVPOOL] = prev;
  s.ph[next * PH_WORDS + PH_PREVPOOL] = pool;
  s.ph[prev * PH_WORDS + PH_NEXTPOOL] = pool;
}

export { poolOf };
