/**
 * pymalloc's compile-time constants for CPython 3.11 on x86-64 (64-bit, large arenas,
 * large pools, radix tree on). Each value is stated with its unit and the invariant it
 * must satisfy; `properties/pymalloc/constants.test.ts` checks every invariant.
 *
 * Source: Objects/obmalloc.c (3.11), read for facts only.
 *
 * How the hot modules import these (and each other's functions): `import * as $constants`
 * and then `const { A, B } = $constants;` at module level, not `import { A, B }`. Node 20's
 * V8 does not constant-fold an imported binding: every use loads it from the module's
 * cell and checks it is initialised. A module-level `const` is folded into the compiled
 * code. On the malloc/free fast path that is about 30% (bench/micro).
 */

/** bytes; every block address is a multiple of it. Power of two, 16 on 64-bit. */
export const ALIGNMENT = 16;
/** bits; ALIGNMENT === 1 << ALIGNMENT_SHIFT. */
export const ALIGNMENT_SHIFT = 4;
/** bytes; largest request pymalloc serves. A multiple of ALIGNMENT. */
export const SMALL_REQUEST_THRESHOLD = 512;
/** count; SMALL_REQUEST_THRESHOLD / ALIGNMENT. */
export const NB_SMALL_SIZE_CLASSES = 32;

/** bits; ARENA_SIZE === 1 << ARENA_BITS (USE_LARGE_ARENAS on 64-bit). */
export const ARENA_BITS = 20;
/** bytes; 1 MiB. */
export const ARENA_SIZE = 1048576;
/** bytes; ARENA_SIZE - 1. */
export const ARENA_SIZE_MASK = 1048575;
/** bits; POOL_SIZE === 1 << POOL_BITS (USE_LARGE_POOLS). */
export const POOL_BITS = 14;
/** bytes; 16 KiB, a pool is POOL_SIZE-aligned. */
export const POOL_SIZE = 16384;
/** bytes; POOL_SIZE - 1. */
export const POOL_SIZE_MASK = 16383;
/** count; ARENA_SIZE / POOL_SIZE: an aligned arena holds this many pools, else one fewer. */
export const MAX_POOLS_IN_ARENA = 64;
/** bytes; sizeof(struct pool_header) rounded up to ALIGNMENT. */
export const POOL_OVERHEAD = 48;
/** szidx value of a freshly carved pool, which matches no size class. */
export const DUMMY_SIZE_IDX = 0xffff;
/** count; first size of the arena-object vector, which then doubles. */
export const INITIAL_ARENA_OBJECTS = 16;
/** bytes; sizeof(struct arena_object), the unit of the vector's RAW realloc. */
export const SIZEOF_ARENA_OBJECT = 48;

/** Radix tree (address_in_range), 64-bit key split: 15 + 15 + 14 + 20 = 64 bits. */
export const MAP_TOP_BITS = 15;
export const MAP_MID_BITS = 15;
export const MAP_BOT_BITS = 14;
/** bytes; sizeof the static root, of one mid node and of one bottom node. */
export const ARENA_MAP_ROOT_BYTES = 262144;
export const ARENA_MAP_MID_BYTES = 262144;
export const ARENA_MAP_BOT_BYTES = 131072;

/** Largest Py_ssize_t, as an exact bigint and as a (rounded) number. */
export const PY_SSIZE_T_MAX_BIG = (1n << 63n) - 1n;
export const PY_SSIZE_T_MAX = 9223372036854775807;

/** Bytes per size class: INDEX2SIZE(i) = (i + 1) << ALIGNMENT_SHIFT. */
export function INDEX2SIZE(i: number): number {
  return (i + 1) << ALIGNMENT_SHIFT;
}

/** Blocks in one pool of class i: NUMBLOCKS(i) = (POOL_SIZE - POOL_OVERHEAD) / INDEX2SIZE(i). */
export function NUMBLOCKS(i: number): number {
  return Math.floor((POOL_SIZE - POOL_OVERHEAD) / INDEX2SIZE(i));
}
