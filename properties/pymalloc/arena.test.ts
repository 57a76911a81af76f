/**
 * Arena life cycle edges that random runs rarely reach: the arena-object vector growing
 * through PyMem_RawRealloc (16, 32, ... entries of 48 bytes, as the recorded traces show:
 * `r r 0 768`), radix-tree nodes from PyMem_RawCalloc and what happens when any of these
 * or the arena mmap fails (pymalloc refuses; _PyObject_Malloc falls back to RAW).
 */
import { expect, test } from 'vitest';
import { AddressSpace } from '../../src/memory/address-space.ts';
import { ModelArenas, ModelLibC } from '../../src/memory/os.ts';
import { checkConsistency } from '../../src/pymalloc/check.ts';
import { createPymalloc, type RawApi } from '../../src/pymalloc/index.ts';

function setup(failCalloc = (_n: number) => false, failRealloc = (_n: number) => false, arenas = new ModelArenas(0x7f0040000000)) {
  const space = new AddressSpace();
  const libc = new ModelLibC(space);
  const log: string[] = [];
  const raw: RawApi = {
    malloc: (n) => { log.push(`m ${n}`); return libc.malloc(n); },
    calloc: (a, b) => { log.push(`c ${a} ${b}`); return failCalloc(b) ? 0 : libc.calloc(a, b); },
    realloc: (p, n) => { log.push(`r ${p === 0 ? 0 : 'p'} ${n}`); return failRealloc(n) ? 0 : libc.realloc(p, n); },
    free: (p) => { log.push(`f`); libc.free(p); },
  };
  return { pm: createPymalloc(space, arenas, raw), log };
}

test('the vector grows 16 -> 32 -> 64 through RAW realloc; radix nodes come from RAW calloc', () => {
  const { pm, log } = setup();
  const blocks: number[] = [];
  for (let i = 0; i < 17 * 63 * 31; i++) blocks.push(pm.malloc(512));
  expect(log.filter((l) => l.startsWith('r'))).toEqual(['r 0 768', 'r p 1536']);
  expect(log[0]).toBe('r 0 768');
  expect(log.filter((l) => l.startsWith('c'))).toEqual(['c 1 262144', 'c 1 131072']);
  expect(pm.s.maxarenas).toBe(32);
  expect(pm.s.narenas_currently_allocated).toBe(17);
  expect(pm.s.ntimes_arena_allocated).toBe(17);
  expect(pm.s.narenas_highwater).toBe(17);
  expect(pm.s.tree.arena_map_mid_count).toBe(1);
  expect(pm.s.tree.arena_map_bot_count).toBe(1);
  expect(pm.s.raw_allocated_blocks).toBe(0);
  for (const p of blocks) pm.free(p);
  expect(pm.s.narenas_currently_allocated).toBe(1);
  expect(pm.s.narenas_highwater).toBe(17);
  expect(checkConsistency(pm.s)).toEqual([]);
  expect(pm.allocatedBlocks()).toBe(0);
  // One arena's worth more than the kept arena holds: a new arena, the high-water mark stays.
  const more: number[] = [];
  for (let i = 0; i < 64 * 31 + 1; i++) more.push(pm.malloc(512));
  expect(pm.s.narenas_currently_allocated).toBe(2);
  expect(pm.s.ntimes_arena_allocated).toBe(18);
  expect(pm.s.narenas_highwater).toBe(17);
  for (const p of more) pm.free(p);
  expect(checkConsistency(pm.s)).toEqual([]);
});

test('a tie in nfreepools: the left arena gaining a pool leaves nfp2lasta on the right one', () => {
  const { pm } = setup();
  const PER_POOL = 31;
  const PER_ARENA = 64 * PER_POOL;
  const groups = [0, 1, 2].map(() => Array.from({ length: PER_ARENA }, () => pm.malloc(512)));
  const freePool = (arena: number, k: number): void => {
    for (const p of groups[arena].slice(k * PER_POOL, (k + 1) * PER_POOL)) pm.free(p);
  };
  freePool(0, 0); // usable_arenas: [0] with 1 free pool
  freePool(1, 0); // a full arena comes back at the front: [1, 0], both with 1
  expect(pm.s.usable_arenas).toBe(1);
  expect(pm.s.nfp2lasta[1]).toBe(0);
  expect(checkConsistency(pm.s)).toEqual([]);
  freePool(1, 1); // arena 1 (not the rightmost with 1) goes to 2 and moves right
  expect(pm.s.nfp2lasta[1]).toBe(0);
  expect(pm.s.nfp2lasta[2]).toBe(1);
  expect(pm.s.usable_arenas).toBe(0);
  expect(checkConsistency(pm.s)).toEqual([]);
  freePool(1, 2); // the only arena with 2 goes to 3: no arena is left with 2, and its left neighbour has 1
  expect(pm.s.nfp2lasta[2]).toBe(-1);
  expect(pm.s.nfp2lasta[3]).toBe(1);
  expect(checkConsistency(pm.s)).toEqual([]);
});

test('an arena object reused after a release leaves the next slot alone', () => {
  const { pm } = setup();
  const PER_ARENA = 64 * 31; // 512-byte blocks; ModelArenas gives 16 KiB-aligned arenas
  const groups = [0, 1, 2].map(() => Array.from({ length: PER_ARENA }, () => pm.malloc(512)));
  groups.forEach((g, i) => { for (const p of g) expect(pm.arenaOf(p)).toBe(i); });
  for (const p of groups[2]) pm.free(p); // wholly free but the last usable arena: kept
  expect(pm.s.address[2]).not.toBe(0);
  for (const p of groups[1]) pm.free(p); // wholly free ahead of arena 2: released
  expect(pm.s.address[1]).toBe(0);
  expect(pm.s.unused_arena_objects).toBe(1);
  // Refill arena 2 (its first pool, at the start of slot 2, is in use again), then one
  // pool more: arena object 1 is taken again and its slot is set up afresh.
  const again = Array.from({ length: PER_ARENA + 31 }, () => pm.malloc(512));
  expect(pm.s.address[1]).not.toBe(0);
  expect(again.filter((p) => pm.arenaOf(p) === 1).length).toBe(31);
  expect(checkConsistency(pm.s)).toEqual([]);
  for (const p of [...groups[0], ...again]) pm.free(p);
  expect(checkConsistency(pm.s)).toEqual([]);
  expect(pm.allocatedBlocks()).toBe(0);
});

test('a failing radix-node calloc gives the arena back and pymalloc refuses (RAW fallback)', () => {
  for (const size of [262144, 131072]) {
    let fails = 1;
    const freed: number[] = [];
    const arenas = new ModelArenas(0x7f0040000000);
    const origFree = arenas.free.bind(arenas);
    arenas.free = (a, n) => { freed.push(a); origFree(a, n); };
    const { pm } = setup((n) => n === size && fails-- > 0, () => false, arenas);
    const p = pm.malloc(100);
    expect(pm.arenaOf(p)).toBe(-1);
    expect(pm.s.raw_allocated_blocks).toBe(1);
    expect(freed.length).toBe(1);
    expect(pm.s.narenas_currently_allocated).toBe(0);
    expect(pm.s.unused_arena_objects).toBe(0);
    const q = pm.malloc(100);
    expect(pm.arenaOf(q)).toBe(0);
    expect(pm.s.address[0]).toBe(freed[0]);
    expect(checkConsistency(pm.s)).toEqual([]);
  }
});

test('a 1 MiB-aligned arena marks one leaf; a misaligned one two, across a bottom-node boundary', () => {
  const aligned = setup(() => false, () => false, new ModelArenas(0x7f0040000000 + 1048576));
  const p = aligned.pm.malloc(16);
  const base = aligned.pm.s.address[0];
  expect(base % 1048576).toBe(0);
  expect(aligned.pm.arenaOf(base)).toBe(0);
  expect(aligned.pm.arenaOf(base + 1048575)).toBe(0);
  expect(aligned.pm.arenaOf(base - 1)).toBe(-1);
  expect(aligned.pm.arenaOf(base + 1048576)).toBe(-1);
  aligned.pm.free(p);
  // An arena straddling a 2^34 boundary needs a second bottom node.
  const top = 2 ** 34 * 0x1fc1 + 0x3000;
  const straddle = setup(() => false, () => false, new ModelArenas(top));
  straddle.pm.malloc(16);
  const b = straddle.pm.s.address[0];
  expect(Math.floor(b / 2 ** 34)).not.toBe(Math.floor((b + 1048575) / 2 ** 34));
  expect(straddle.pm.s.tree.arena_map_bot_count).toBe(2);
  expect(straddle.log.filter((l) => l.startsWith('c'))).toEqual(['c 1 262144', 'c 1 131072', 'c 1 131072']);
  expect(straddle.pm.arenaOf(b + 1048575)).toBe(0);
  expect(straddle.pm.arenaOf(b + 1048576)).toBe(-1);
  expect(checkConsistency(straddle.pm.s)).toEqual([]);
});

test('an arena straddling a bottom-node boundary whose second node cannot be made is given back', () => {
  const top = 2 ** 34 * 0x1fc1 + 0x3000;
  const freed: number[] = [];
  const arenas = new ModelArenas(top);
  const origFree = arenas.free.bind(arenas);
  arenas.free = (a, n) => { freed.push(a); origFree(a, n); };
  let bottoms = 0;
  const { pm, log } = setup((n) => n === 131072 && ++bottoms === 2, () => false, arenas);
  const p = pm.malloc(16);
  expect(log.filter((l) => l.startsWith('c'))).toEqual(['c 1 262144', 'c 1 131072', 'c 1 131072']);
  expect(freed.length).toBe(1);
  expect(pm.arenaOf(p)).toBe(-1);
  expect(pm.arenaOf(freed[0])).toBe(-1);
  expect(pm.s.raw_allocated_blocks).toBe(1);
  expect(pm.s.narenas_currently_allocated).toBe(0);
  expect(checkConsistency(pm.s)).toEqual([]);
});

test('a failing vector realloc or mmap refuses without losing state', () => {
  const { pm } = setup(() => false, (n) => n === 768);
  const p = pm.malloc(64);
  expect(pm.arenaOf(p)).toBe(-1);
  expect(pm.s.maxarenas).toBe(0);
  const arenas = new ModelArenas(0x7f0040000000);
  arenas.alloc = () => 0;
  const b = setup(() => false, () => false, arenas);
  expect(b.pm.arenaOf(b.pm.malloc(64))).toBe(-1);
  // No arena, so nothing is marked: no radix-tree node was asked for.
  expect(b.log.filter((l) => l.startsWith('c'))).toEqual([]);
  expect(b.pm.s.unused_arena_objects).toBe(0);
  expect(b.pm.s.maxarenas).toBe(16);
  expect(checkConsistency(b.pm.s)).toEqual([]);
});
