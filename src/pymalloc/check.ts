/**
 * A full consistency check of pymalloc's state, for tests: every structural invariant
 * that obmalloc.c asserts or relies on. Returns the list of violations (empty = sound).
 * Slow by design; never on the hot path.
 */
import { SLOT_SIZE } from '../memory/address-space.ts';
import { ARENA_SIZE, INDEX2SIZE, MAX_POOLS_IN_ARENA, NB_SMALL_SIZE_CLASSES, NUMBLOCKS, POOL_OVERHEAD, POOL_SIZE } from './constants.ts';
import { getLink } from './pool.ts';
import {
  NIL, poolBase, poolOf, type PymallocState, PH_ARENAINDEX, PH_COUNT, PH_FREEBLOCK, PH_MAXNEXTOFFSET, PH_NEXTOFFSET, PH_NEXTPOOL, PH_PREVPOOL, PH_SZIDX, PH_WORDS,
} from './state.ts';

export function checkConsistency(s: PymallocState): string[] {
  const bad: string[] = [];
  const fail = (m: string): void => { bad.push(m); };

  // unused_arena_objects holds exactly the arena objects without an arena.
  const unused = new Set<number>();
  for (let a = s.unused_arena_objects; a !== NIL; a = s.nextarena[a]) {
    if (unused.has(a) || unused.size > s.maxarenas) { fail('unused_arena_objects has a cycle'); break; }
    unused.add(a);
    if (s.address[a] !== 0) fail(`arena ${a} is on unused_arena_objects but has an address`);
  }
  let allocated = 0;
  for (let a = 0; a < s.maxarenas; a++) {
    if (s.address[a] === 0) {
      if (!unused.has(a)) fail(`arena object ${a} has no address but is not on unused_arena_objects`);
      continue;
    }
    allocated++;
    checkArena(s, a, fail);
  }
  if (allocated !== s.narenas_currently_allocated) fail(`narenas_currently_allocated ${s.narenas_currently_allocated} != ${allocated}`);
  if (s.narenas_highwater < allocated) fail('narenas_highwater below current');

  // usable_arenas: well linked, sorted ascending, exactly the arenas with free pools.
  const listed = new Set<number>();
  let prev = NIL;
  const lastWith = new Int32Array(MAX_POOLS_IN_ARENA + 1).fill(NIL);
  for (let a = s.usable_arenas; a !== NIL; a = s.nextarena[a]) {
    if (listed.has(a) || listed.size > s.maxarenas) { fail('usable_arenas has a cycle'); break; }
    listed.add(a);
    if (s.prevarena[a] !== prev) fail(`usable_arenas: arena ${a} prevarena ${s.prevarena[a]} != ${prev}`);
    if (prev !== NIL && s.nfreepools[prev] > s.nfreepools[a]) fail(`usable_arenas not sorted at arena ${a}`);
    if (s.address[a] === 0) fail(`usable arena ${a} has no address`);
    lastWith[s.nfreepools[a]] = a;
    prev = a;
  }
  for (let a = 0; a < s.maxarenas; a++) {
    if (s.address[a] !== 0 && s.nfreepools[a] > 0 && !listed.has(a)) fail(`arena ${a} has free pools but is not usable`);
    if (listed.has(a) && s.nfreepools[a] === 0) fail(`arena ${a} is usable with no free pool`);
  }
  for (let k = 0; k <= MAX_POOLS_IN_ARENA; k++) {
    if (s.nfp2lasta[k] !== lastWith[k]) fail(`nfp2lasta[${k}] = ${s.nfp2lasta[k]}, expected ${lastWith[k]}`);
  }

  // usedpools lists: well linked, members in use and not full, of the right class.
  for (let c = 0; c < NB_SMALL_SIZE_CLASSES; c++) {
    let pr = c;
    let n = 0;
    for (let p = s.ph[c * PH_WORDS + PH_NEXTPOOL]; p !== c; p = s.ph[p * PH_WORDS + PH_NEXTPOOL]) {
      if (++n > s.ph.length / PH_WORDS) { fail(`usedpools[${c}] has a cycle`); break; }
      if (s.ph[p * PH_WORDS + PH_PREVPOOL] !== pr) fail(`usedpools[${c}]: pool ${p} prevpool mismatch`);
      if (s.ph[p * PH_WORDS + PH_SZIDX] !== c) fail(`usedpools[${c}]: pool ${p} has szidx ${s.ph[p * PH_WORDS + PH_SZIDX]}`);
      if (s.ph[p * PH_WORDS + PH_COUNT] <= 0) fail(`usedpools[${c}]: pool ${p} has count ${s.ph[p * PH_WORDS + PH_COUNT]}`);
      if (s.ph[p * PH_WORDS + PH_FREEBLOCK] === 0) fail(`usedpools[${c}]: pool ${p} is full`);
      pr = p;
    }
    if (s.ph[c * PH_WORDS + PH_PREVPOOL] !== pr) fail(`usedpools[${c}]: sentinel prevpool mismatch`);
  }
  return bad;
}

function checkArena(s: PymallocState, a: number, fail: (m: string) => void): void {
  const addr = s.address[a];
  const excess = addr % POOL_SIZE;
  const total = excess ? MAX_POOLS_IN_ARENA - 1 : MAX_POOLS_IN_ARENA;
  if (s.ntotalpools[a] !== total) fail(`arena ${a} ntotalpools ${s.ntotalpools[a]} != ${total}`);
  if (s.tree.arenaOf(addr) !== a || s.tree.arenaOf(addr + ARENA_SIZE - 1) !== a) fail(`arena ${a} not marked in the radix tree`);
  if (s.tree.arenaOf(addr - 1) === a || s.tree.arenaOf(addr + ARENA_SIZE) === a) fail(`radix tree marks past arena ${a}`);
  const first = poolOf(a * SLOT_SIZE + (excess ? POOL_SIZE : 0));
  const carvedEnd = poolOf(s.pool_address[a]);
  if (carvedEnd < first || carvedEnd > first + total) fail(`arena ${a} pool_address out of range`);
  const cached = new Set<number>();
  for (let p = s.freepools[a]; p !== NIL; p = s.ph[p * PH_WORDS + PH_NEXTPOOL]) {
    if (cached.has(p) || cached.size > total) { fail(`arena ${a} freepools has a cycle`); break; }
    cached.add(p);
    if (p < first || p >= carvedEnd) fail(`arena ${a} caches a pool it has not carved`);
    if (s.ph[p * PH_WORDS + PH_COUNT] !== 0) fail(`cached pool ${p} has count ${s.ph[p * PH_WORDS + PH_COUNT]}`);
  }
  const virgin = first + total - carvedEnd;
  if (s.nfreepools[a] !== cached.size + virgin) fail(`arena ${a} nfreepools ${s.nfreepools[a]} != ${cached.size} cached + ${virgin} uncarved`);
  for (let p = first; p < carvedEnd; p++) {
    if (s.ph[p * PH_WORDS + PH_ARENAINDEX] !== a) fail(`pool ${p} arenaindex ${s.ph[p * PH_WORDS + PH_ARENAINDEX]} != ${a}`);
    if (s.ph[p * PH_WORDS + PH_COUNT] === 0 && !cached.has(p)) fail(`empty pool ${p} is not cached`);
    checkPool(s, p, fail);
  }
}

function checkPool(s: PymallocState, p: number, fail: (m: string) => void): void {
  const c = s.ph[p * PH_WORDS + PH_SZIDX];
  if (c >= NB_SMALL_SIZE_CLASSES) { fail(`pool ${p} has szidx ${c}`); return; }
  const size = INDEX2SIZE(c);
  const base = poolBase(p);
  if (s.ph[p * PH_WORDS + PH_MAXNEXTOFFSET] !== POOL_SIZE - size) fail(`pool ${p} maxnextoffset ${s.ph[p * PH_WORDS + PH_MAXNEXTOFFSET]}`);
  const carved = (s.ph[p * PH_WORDS + PH_NEXTOFFSET] - POOL_OVERHEAD) / size;
  if (!Number.isInteger(carved) || carved < 1 || carved > NUMBLOCKS(c) + 1) { fail(`pool ${p} nextoffset ${s.ph[p * PH_WORDS + PH_NEXTOFFSET]} off the grid`); return; }
  const seen = new Set<number>();
  for (let b = s.ph[p * PH_WORDS + PH_FREEBLOCK]; b !== 0; b = getLink(s, p, b)) {
    const k = (b - base - POOL_OVERHEAD) / size;
    if (seen.has(b) || seen.size > NUMBLOCKS(c)) { fail(`pool ${p} free list has a cycle`); return; }
    seen.add(b);
    if (!Number.isInteger(k) || k < 0 || b - base >= s.ph[p * PH_WORDS + PH_NEXTOFFSET]) fail(`pool ${p} free block at +${b - base} off the grid`);
  }
  const handedOut = Math.min(carved, NUMBLOCKS(c)) - seen.size;
  if (handedOut !== s.ph[p * PH_WORDS + PH_COUNT]) fail(`pool ${p} count ${s.ph[p * PH_WORDS + PH_COUNT]} != ${handedOut} carved-and-not-free`);
  if (s.ph[p * PH_WORDS + PH_FREEBLOCK] === 0 && s.ph[p * PH_WORDS + PH_COUNT] !== NUMBLOCKS(c)) fail(`pool ${p} has no free block but count ${s.ph[p * PH_WORDS + PH_COUNT]}`);
}
