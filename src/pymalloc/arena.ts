/**
 * Arenas: 1 MiB chunks from the arena allocator, each carved into 16 KiB pools.
 *
 * Arena objects live in a vector (`arenas`) that starts at 16 entries and doubles through
 * PyMem_RawRealloc. An object is in exactly one of two places:
 *  - `unused_arena_objects`, a stack through `nextarena`, iff its address is 0;
 *  - otherwise it owns an arena. It is on `usable_arenas` iff it has a free pool
 *    (`nfreepools > 0`: cached empty pools plus never-carved ones).
 *
 * `usable_arenas` is doubly linked and sorted by ascending `nfreepools`, so new pools come
 * from the fullest arena that still has room, which lets nearly-empty arenas drain and be
 * returned. `nfp2lasta[k]` names the rightmost arena with k free pools, so re-sorting after
 * one pool frees is O(1): the arena moves to just after that one. An arena whose pools
 * are all free is released, except when it is the last of `usable_arenas` (bpo-37257:
 * keep one empty arena to avoid mmap thrashing).
 */
import * as $space from '../memory/address-space.ts';
import * as $constants from './constants.ts';
import type { PymallocState } from './state.ts';
import * as $state from './state.ts';

// Imported values as module-level constants, which V8 folds (see constants.ts).
const { SLOT_SIZE } = $space;
const { ARENA_SIZE, DUMMY_SIZE_IDX, INITIAL_ARENA_OBJECTS, MAX_POOLS_IN_ARENA, NB_SMALL_SIZE_CLASSES, POOL_SIZE, SIZEOF_ARENA_OBJECT } = $constants;
const { NIL, poolOf, PH_ADDRHI, PH_ADDRLO, PH_ARENAINDEX, PH_COUNT, PH_FREEBLOCK, PH_MAXNEXTOFFSET, PH_NEXTOFFSET, PH_NEXTPOOL, PH_PREVPOOL, PH_SZIDX, PH_WORDS } = $state;

const TWO32 = 4294967296;

/** new_arena: give an unused arena object an arena; NIL on failure. */
export function new_arena(s: PymallocState): number {
  if (s.unused_arena_objects === NIL) {
    const numarenas = s.maxarenas ? (s.maxarenas * 2) >>> 0 : INITIAL_ARENA_OBJECTS;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: uint overflow needs 2^31 arena objects, beyond what any model reaches
    if (numarenas <= s.maxarenas) return NIL; // uint overflow (CPython's only limit)
    const vec = s.raw.realloc(s.arenasVector, numarenas * SIZEOF_ARENA_OBJECT);
    if (vec === 0) return NIL;
    s.arenasVector = vec;
    s.growTables(numarenas);
    // Stryker disable next-line EqualityOperator: entry numarenas is past the typed arrays; writes there are dropped
    for (let i = s.maxarenas; i < numarenas; i++) {
      s.address[i] = 0;
      s.nextarena[i] = i < numarenas - 1 ? i + 1 : NIL;
    }
    s.unused_arena_objects = s.maxarenas;
    s.maxarenas = numarenas;
  }
  const ao = s.unused_arena_objects;
  s.unused_arena_objects = s.nextarena[ao];
  let addr = s.arenaAllocator.alloc(ARENA_SIZE);
  if (addr !== 0 && !s.tree.arena_map_mark_used(addr, true, ao)) {
    s.arenaAllocator.free(addr, ARENA_SIZE);
    addr = 0;
  }
  if (addr === 0) {
    s.nextarena[ao] = s.unused_arena_objects;
    s.unused_arena_objects = ao;
    return NIL;
  }
  s.address[ao] = addr;
  s.narenas_currently_allocated++;
  s.ntimes_arena_allocated++;
  // Stryker disable next-line EqualityOperator: with `>=` an equal high-water mark is overwritten by the same value
  if (s.narenas_currently_allocated > s.narenas_highwater) s.narenas_highwater = s.narenas_currently_allocated;
  s.space.mapArena(ao, addr);
  clearPoolHeaders(s, ao);
  s.freepools[ao] = NIL;
  const excess = addr % POOL_SIZE;
  s.pool_address[ao] = ao * SLOT_SIZE + (excess !== 0 ? POOL_SIZE : 0);
  s.nfreepools[ao] = excess !== 0 ? MAX_POOLS_IN_ARENA - 1 : MAX_POOLS_IN_ARENA;
  s.ntotalpools[ao] = s.nfreepools[ao];
  return ao;
}

/** Fresh mmap memory reads as zero, pool headers included. */
function clearPoolHeaders(s: PymallocState, ao: number): void {
  const first = poolOf(ao * SLOT_SIZE);
  const end = poolOf((ao + 1) * SLOT_SIZE);
  for (let p = first; p < end; p++) {
    // Headers of never-carved pools are not read: take_pool, then init_pool or the
    // cached-pool path, set every field before use, so clearing them only mirrors fresh
    // mmap memory. Hence equivalent mutants: `- PH_COUNT` is `+ 0`, and `- PH_FREEBLOCK`
    // .. `- PH_NEXTOFFSET` land in the unused words 10..15 of the pool before (the other
    // arithmetic mutants of these lines are caught, but share the mutator name).
    // Stryker disable ArithmeticOperator
    s.ph[p * PH_WORDS + PH_COUNT] = 0;
    s.ph[p * PH_WORDS + PH_FREEBLOCK] = 0;
    s.ph[p * PH_WORDS + PH_NEXTPOOL] = NIL;
    s.ph[p * PH_WORDS + PH_PREVPOOL] = NIL;
    s.ph[p * PH_WORDS + PH_ARENAINDEX] = 0;
    s.ph[p * PH_WORDS + PH_SZIDX] = 0;
    s.ph[p * PH_WORDS + PH_NEXTOFFSET] = 0;
    // Stryker restore ArithmeticOperator
    s.ph[p * PH_WORDS + PH_MAXNEXTOFFSET] = 0;
    const addr = s.space.slotBase[ao] + (p - first) * POOL_SIZE;
    s.ph[p * PH_WORDS + PH_ADDRLO] = addr >>> 0;
    s.ph[p * PH_WORDS + PH_ADDRHI] = Math.floor(addr / TWO32);
  }
}

/**
 * The arena half of allocate_from_new_pool: take a pool (cached or newly carved) from
 * the head of usable_arenas, creating an arena first when there is none. Returns the
 * pool index, or NIL when no arena could be had.
 */
export function take_pool(s: PymallocState): number {
  if (s.usable_arenas === NIL) {
    const ao = new_arena(s);
    if (ao === NIL) return NIL;
    s.usable_arenas = ao;
    s.nextarena[ao] = NIL;
    s.prevarena[ao] = NIL;
    s.nfp2lasta[s.nfreepools[ao]] = ao;
  }
  const a = s.usable_arenas;
  const nf = s.nfreepools[a];
  if (s.nfp2lasta[nf] === a) s.nfp2lasta[nf] = NIL;
  if (nf > 1) s.nfp2lasta[nf - 1] = a;
  let pool = s.freepools[a];
  if (pool !== NIL) {
    s.freepools[a] = s.ph[pool * PH_WORDS + PH_NEXTPOOL];
  } else {
    pool = poolOf(s.pool_address[a]);
    s.ph[pool * PH_WORDS + PH_ARENAINDEX] = a;
    s.ph[pool * PH_WORDS + PH_SZIDX] = DUMMY_SIZE_IDX;
    s.pool_address[a] += POOL_SIZE;
  }
  s.nfreepools[a]--;
  if (s.nfreepools[a] === 0) {
    // Wholly allocated: leave the list (its own links go stale).
    s.usable_arenas = s.nextarena[a];
    // Stryker disable next-line ConditionalExpression: without the guard a NIL head writes prevarena[-1], which a typed array drops (`false` is caught by arena-order.test.ts, but shares the mutator name)
    if (s.usable_arenas !== NIL) s.prevarena[s.usable_arenas] = NIL;
  }
  return pool;
}

/**
 * The arena half of insert_to_freepool: arena `ao` just gained a free pool. Release the
 * arena if it is wholly free and not last, else keep usable_arenas sorted.
 */
export function arena_pool_freed(s: PymallocState, ao: number): void {
  let nf = s.nfreepools[ao];
  const lastnf = s.nfp2lasta[nf];
  if (lastnf === ao) {
    const p = s.prevarena[ao];
    // Stryker disable next-line ConditionalExpression: `p !== NIL` made true reads nfreepools[-1], undefined, which never equals nf (the whole condition made true or false is caught, but shares the mutator name)
    s.nfp2lasta[nf] = p !== NIL && s.nfreepools[p] === nf ? p : NIL;
  }
  s.nfreepools[ao] = ++nf;

  // Case 1: wholly free and not the last usable arena: give it back.
  if (nf === s.ntotalpools[ao] && s.nextarena[ao] !== NIL) {
    unlinkUsable(s, ao);
    s.nextarena[ao] = s.unused_arena_objects;
    s.unused_arena_objects = ao;
    const addr = s.address[ao];
    s.tree.arena_map_mark_used(addr, false, ao);
    s.arenaAllocator.free(addr, ARENA_SIZE);
    s.space.unmapArena(ao, addr);
    s.address[ao] = 0;
    s.narenas_currently_allocated--;
    return;
  }
  // Case 2: it was full, so it was on no list: it goes to the front.
  if (nf === 1) {
    s.nextarena[ao] = s.usable_arenas;
    s.prevarena[ao] = NIL;
    // Stryker disable next-line ConditionalExpression: without the guard a NIL head writes prevarena[-1], which a typed array drops (`false` is caught, but shares the mutator name)
    if (s.usable_arenas !== NIL) s.prevarena[s.usable_arenas] = ao;
    s.usable_arenas = ao;
    if (s.nfp2lasta[1] === NIL) s.nfp2lasta[1] = ao;
    return;
  }
  if (s.nfp2lasta[nf] === NIL) s.nfp2lasta[nf] = ao;
  // Case 4: it was the rightmost with the old count, so the order still holds.
  if (ao === lastnf) return;
  // Case 3: move it to just after the rightmost arena that had its old count.
  unlinkUsable(s, ao);
  s.prevarena[ao] = lastnf;
  s.nextarena[ao] = s.nextarena[lastnf];
  // Stryker disable next-line ConditionalExpression: without the guard a NIL successor writes prevarena[-1], which a typed array drops (`false` is caught, but shares the mutator name)
  if (s.nextarena[ao] !== NIL) s.prevarena[s.nextarena[ao]] = ao;
  s.nextarena[lastnf] = ao;
}

function unlinkUsable(s: PymallocState, ao: number): void {
  const prev = s.prevarena[ao];
  const next = s.nextarena[ao];
  if (prev === NIL) s.usable_arenas = next;
  else s.nextarena[prev] = next;
  // Stryker disable next-line ConditionalExpression: without the guard a NIL successor writes prevarena[-1], which a typed array drops (`false` is caught, but shares the mutator name)
  if (next !== NIL) s.prevarena[next] = prev;
}

export { NB_SMALL_SIZE_CLASSES };
