/**
 * Hand-written faults for what Stryker cannot mutate (bitwise operators, shifts,
 * numeric constants) and for the faults the core issue names. Each is a one-place edit
 * of src/; `npm run faults` applies each to a scratch copy and the suite must fail.
 */
export interface Fault {
  id: string;
  file: string;
  find: string;
  replace: string;
  why: string;
}

export const FAULTS: Fault[] = [
  { id: 'sizeclass-off-by-one', file: 'src/pymalloc/sizeclass.ts', find: 'return (n - 1) >> ALIGNMENT_SHIFT;', replace: 'return n >> ALIGNMENT_SHIFT;', why: 'size class computed from n instead of n-1' },
  { id: 'realloc-three-quarters-off-by-one', file: 'src/pymalloc/obmalloc.ts', find: 'if (4 * n > 3 * size) return p;', replace: 'if (4 * n >= 3 * size) return p;', why: 'in-place shrink also at exactly 3/4' },
  { id: 'realloc-three-quarters-constant', file: 'src/pymalloc/obmalloc.ts', find: 'if (4 * n > 3 * size) return p;', replace: 'if (2 * n > size) return p;', why: 'in-place shrink rule 1/2 instead of 3/4' },
  { id: 'usable-arenas-unsorted', file: 'src/pymalloc/arena.ts', find: '  if (ao === lastnf) return;', replace: '  return;', why: 'usable_arenas not re-sorted when an arena gains a free pool' },
  { id: 'usable-arenas-full-arena-at-tail', file: 'src/pymalloc/arena.ts', find: '    s.nextarena[ao] = s.usable_arenas;\n    s.prevarena[ao] = NIL;\n    if (s.usable_arenas !== NIL) s.prevarena[s.usable_arenas] = ao;\n    s.usable_arenas = ao;', replace: '    s.nextarena[ao] = NIL;\n    let t = s.usable_arenas;\n    while (t !== NIL && s.nextarena[t] !== NIL) t = s.nextarena[t];\n    s.prevarena[ao] = t;\n    if (t !== NIL) s.nextarena[t] = ao; else s.usable_arenas = ao;', why: 'a formerly full arena goes to the end of usable_arenas (wrong order)' },
  { id: 'misaligned-arena-64-pools', file: 'src/pymalloc/arena.ts', find: 'excess !== 0 ? MAX_POOLS_IN_ARENA - 1 : MAX_POOLS_IN_ARENA', replace: 'MAX_POOLS_IN_ARENA', why: 'an arena not 16 KiB aligned given 64 pools' },
  { id: 'keep-no-empty-arena', file: 'src/pymalloc/arena.ts', find: 'if (nf === s.ntotalpools[ao] && s.nextarena[ao] !== NIL) {', replace: 'if (nf === s.ntotalpools[ao]) {', why: 'the last wholly free arena is released (pre-3.9 policy)' },
  { id: 'pool-overhead-32', file: 'src/pymalloc/constants.ts', find: 'export const POOL_OVERHEAD = 48;', replace: 'export const POOL_OVERHEAD = 32;', why: 'pool header size of 32-bit builds' },
  { id: 'alignment-shift-3', file: 'src/pymalloc/sizeclass.ts', find: 'return (n - 1) >> ALIGNMENT_SHIFT;', replace: 'return (n - 1) >> 3;', why: '8-byte size classes' },
  { id: 'init-pool-nextoffset', file: 'src/pymalloc/pool.ts', find: 'POOL_OVERHEAD + (size << 1)', replace: 'POOL_OVERHEAD + (size << 2)', why: 'a fresh pool skips a virgin block' },
  { id: 'link-mask', file: 'src/pymalloc/pool.ts', find: 'return poolBase(pool) + (u32[w] & POOL_SIZE_MASK);', replace: 'return poolBase(pool) + (u32[w] & 0x1fff);', why: 'free-list link loses bit 13' },
  { id: 'pool-of-shift', file: 'src/pymalloc/state.ts', find: 'return (off >>> 14) + NB_SMALL_SIZE_CLASSES;', replace: 'return (off >>> 13) + NB_SMALL_SIZE_CLASSES;', why: 'POOL_ADDR with 8 KiB pools' },
  { id: 'max-pools-63', file: 'src/pymalloc/constants.ts', find: 'export const MAX_POOLS_IN_ARENA = 64;', replace: 'export const MAX_POOLS_IN_ARENA = 63;', why: 'aligned arenas lose a pool' },
  { id: 'small-threshold-511', file: 'src/pymalloc/constants.ts', find: 'export const SMALL_REQUEST_THRESHOLD = 512;', replace: 'export const SMALL_REQUEST_THRESHOLD = 511;', why: '512-byte requests go to RAW' },
  { id: 'radix-bottom-shift', file: 'src/pymalloc/radix-tree.ts', find: 'const leaf = ((b - 1) * BOT_LEN + (((hi & 3) << 12) | (lo >>> 20))) * LEAF;', replace: 'const leaf = ((b - 1) * BOT_LEN + (((hi & 3) << 11) | (lo >>> 20))) * LEAF;', why: 'radix bottom index drops a bit' },
  { id: 'radix-tail-mask', file: 'src/pymalloc/radix-tree.ts', find: 'const t = lo & (ARENA_SIZE - 1);', replace: 'const t = lo & (ARENA_SIZE - 4097);', why: 'address_in_range ignores page offset bits' },
  { id: 'new-arena-carve-start', file: 'src/pymalloc/arena.ts', find: "s.pool_address[ao] = ao * SLOT_SIZE + (excess !== 0 ? POOL_SIZE : 0);", replace: "s.pool_address[ao] = ao * SLOT_SIZE + POOL_SIZE;", why: 'first pool always one frame in, even in an aligned arena' },
  { id: 'vartype-round-to-16', file: 'src/objimpl/size.ts', find: '+ 7n) & MASK64) & ~7n;', replace: '+ 15n) & MASK64) & ~15n;', why: '_PyObject_VAR_SIZE rounds to 16' },
  { id: 'vartype-no-wrap', file: 'src/objimpl/size.ts', find: '+ 7n) & MASK64) & ~7n;', replace: '+ 7n)) & ~7n;', why: 'no size_t wrap-around' },
  { id: 'heap-flag-bit', file: 'src/objimpl/type.ts', find: 'export const Py_TPFLAGS_HEAPTYPE = 1 << 9;', replace: 'export const Py_TPFLAGS_HEAPTYPE = 1 << 8;', why: 'wrong HEAPTYPE bit' },
  { id: 'refcnt-2', file: 'src/objimpl/object.ts', find: '    space.store64(op, 1n);', replace: '    space.store64(op, 2n);', why: 'ob_refcnt starts at 2' },
  { id: 'ob-size-offset', file: 'src/objimpl/object.ts', find: 'this.rt.space.store64(op + 16, n);', replace: 'this.rt.space.store64(op + 8, n);', why: 'ob_size written over ob_type' },
  { id: 'malloc-zero-rule', file: 'src/domains/malloc.ts', find: 'return this.libc.malloc(n === 0 ? 1 : n);', replace: 'return n === 0 ? 0 : this.libc.malloc(n);', why: 'malloc(0) returns NULL' },
  { id: 'pool-header-words-8', file: 'src/pymalloc/state.ts', find: 'export const PH_WORDS = 16;', replace: 'export const PH_WORDS = 8;', why: 'pool headers overlap their neighbours (10 fields in 8 words)' },
  { id: 'pool-header-field-collision', file: 'src/pymalloc/state.ts', find: 'export const PH_ADDRHI = 9;', replace: 'export const PH_ADDRHI = 7;', why: 'the address high word shares a slot with maxnextoffset' },
  { id: 'realloc-copy-short', file: 'src/pymalloc/obmalloc.ts', find: 'copyWithin(qoff, off, off + size)', replace: 'copyWithin(qoff, off, off + size - 1)', why: 'a moving pymalloc realloc drops the last byte it must keep' },
  { id: 'realloc-to-raw-copy-short', file: 'src/pymalloc/obmalloc.ts', find: 'mem.subarray(off, off + size)', replace: 'mem.subarray(off, off + size - 1)', why: 'a pymalloc block reallocated into RAW loses its last byte' },
  { id: 'calloc-zero-short', file: 'src/memory/address-space.ts', find: 'for (let w = off >>> 2; w < wend >>> 2; w++) u32[w] = 0;', replace: 'for (let w = off >>> 2; w < (wend >>> 2) - 1; w++) u32[w] = 0;', why: 'pymalloc calloc leaves one word of old data' },
];
