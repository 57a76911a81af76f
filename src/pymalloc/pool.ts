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
import { INDEX2SIZE, POOL_OVERHEAD, POOL_SIZE, POOL_SIZE_MASK } from './constants.ts';
import { poolBase, poolOf, type PymallocState } from './state.ts';

/** Write a free-list link into block `off` of `pool`: the address of block `target`, or NULL. */
export function setLink(s: PymallocState, pool: number, off: number, target: number): void {
  const lo = target === 0 ? 0 : (s.addrLo[pool] + (target & POOL_SIZE_MASK)) >>> 0;
  const hi = target === 0 ? 0 : s.addrHi[pool];
  if ((off & 3) === 0) {
    s.space.u32[off >>> 2] = lo;
    s.space.u32[(off >>> 2) + 1] = hi;
  } else {
    const m = s.space.mem;
    for (let i = 0; i < 4; i++) {
      m[off + i] = (lo >>> (8 * i)) & 0xff;
      m[off + 4 + i] = (hi >>> (8 * i)) & 0xff;
    }
  }
}

/**
 * Read the free-list link stored in block `off` of `pool`, as an internal offset (0 for
 * NULL). A link always points into its own pool, so its low 14 bits locate the block.
 */
export function getLink(s: PymallocState, pool: number, off: number): number {
  let lo: number;
  let hi: number;
  if ((off & 3) === 0) {
    lo = s.space.u32[off >>> 2];
    hi = s.space.u32[(off >>> 2) + 1];
  } else {
    const m = s.space.mem;
    lo = (m[off] | (m[off + 1] << 8) | (m[off + 2] << 16) | (m[off + 3] << 24)) >>> 0;
    hi = (m[off + 4] | (m[off + 5] << 8) | (m[off + 6] << 16) | (m[off + 7] << 24)) >>> 0;
  }
  if ((lo | hi) === 0) return 0;
  return poolBase(pool) + (lo & POOL_SIZE_MASK);
}

/** Make `pool` the only member of usedpools[c] (allocate_from_new_pool). */
export function make_sole_used(s: PymallocState, pool: number, c: number): void {
  s.nextpool[pool] = c;
  s.prevpool[pool] = c;
  s.nextpool[c] = pool;
  s.prevpool[c] = pool;
}

/** Initialise a pool for class c and return its first block (allocate_from_new_pool). */
export function init_pool(s: PymallocState, pool: number, c: number): number {
  const size = INDEX2SIZE(c);
  const base = poolBase(pool);
  s.szidx[pool] = c;
  const bp = base + POOL_OVERHEAD;
  s.nextoffset[pool] = POOL_OVERHEAD + (size << 1);
  s.maxnextoffset[pool] = POOL_SIZE - size;
  s.freeblock[pool] = bp + size;
  setLink(s, pool, bp + size, 0);
  return bp;
}

/**
 * pymalloc_pool_extend: the free list of `pool` ran dry; carve the next virgin block
 * if there is one, else the pool is full and leaves its class list.
 */
export function pymalloc_pool_extend(s: PymallocState, pool: number, c: number): void {
  if (s.nextoffset[pool] <= s.maxnextoffset[pool]) {
    const fb = poolBase(pool) + s.nextoffset[pool];
    s.freeblock[pool] = fb;
    s.nextoffset[pool] += INDEX2SIZE(c);
    setLink(s, pool, fb, 0);
    return;
  }
  unlink_pool(s, pool);
}

/** Remove a pool from its usedpools list. */
export function unlink_pool(s: PymallocState, pool: number): void {
  const next = s.nextpool[pool];
  const prev = s.prevpool[pool];
  s.prevpool[next] = prev;
  s.nextpool[prev] = next;
}

/** insert_to_usedpool: a full pool got a free block; it becomes the head of its class list. */
export function insert_to_usedpool(s: PymallocState, pool: number): void {
  const next = s.nextpool[s.szidx[pool]];
  const prev = s.prevpool[next];
  s.nextpool[pool] = next;
  s.prevpool[pool] = prev;
  s.prevpool[next] = pool;
  s.nextpool[prev] = pool;
}

export { poolOf };
