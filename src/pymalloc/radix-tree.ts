/**
 * The arena map behind address_in_range (WITH_PYMALLOC_RADIX_TREE, 64-bit layout).
 *
 * A 64-bit address splits into top (15 bits) / mid (15) / bottom (14) / arena offset
 * (20). The root is static; mid and bottom nodes are made on demand with
 * PyMem_RawCalloc(1, size), are never freed, and are counted. Each bottom leaf describes
 * one 1 MiB-aligned chunk of address space: `tail_hi` says an arena starts inside the
 * chunk at that offset (-1 when it starts exactly at the chunk start), `tail_lo` says an
 * arena that started in the previous chunk runs up to that offset. An address is
 * pymalloc's exactly when it lies inside some allocated arena.
 *
 * Our addition, invisible to CPython's behaviour: each leaf also remembers which arena
 * index owns each half, so a hit tells free() which arena slot to use.
 *
 * Storage: no JS object per node. Mid nodes live back to back in `mids` and bottom nodes
 * in `bots` (both grow by doubling); `root` and `mids` hold node numbers plus one, so 0
 * means "no node", as NULL does in C. A lookup is three typed-array loads.
 */
import * as $constants from './constants.ts';
import type { RawApi } from './state.ts';

// Imported values as module-level constants, which V8 folds (see constants.ts).
const { ARENA_MAP_BOT_BYTES, ARENA_MAP_MID_BYTES, ARENA_SIZE, MAP_BOT_BITS, MAP_MID_BITS, MAP_TOP_BITS } = $constants;

/** 2^-32: multiplying by it is exact, and cheaper than dividing by 2^32. */
const INV_TWO32 = 1 / 4294967296;
const MID_LEN = 1 << MAP_MID_BITS;
const BOT_LEN = 1 << MAP_BOT_BITS;
/** int32 per leaf, and the leaf fields. */
const LEAF = 4;
const TAIL_HI = 0;
const TAIL_LO = 1;
const IDX_HI = 2;
const IDX_LO = 3;

export class RadixTree {
  /** root[i1]: mid node number + 1, or 0. */
  readonly root = new Int32Array(1 << MAP_TOP_BITS);
  /** mid nodes, MID_LEN entries each: bottom node number + 1, or 0. */
  private mids: Int32Array = new Int32Array(0);
  /** bottom nodes, BOT_LEN leaves of LEAF int32 each. */
  private bots: Int32Array = new Int32Array(0);
  arena_map_mid_count = 0;
  arena_map_bot_count = 0;

  constructor(public raw: RawApi) {}

  /**
   * arena_map_get: the int32 offset in `bots` of the bottom node covering p, creating
   * missing nodes when asked; -1 when there is none (or a node could not be made).
   */
  arena_map_get(p: number, create: boolean): number {
    const hi = Math.floor(p * INV_TWO32);
    const i1 = hi >>> 17;
    let m = this.root[i1];
    if (m === 0) {
      // Stryker disable next-line ConditionalExpression: unmarking visits only nodes that marking made, so a missing node is never met with create false (`true` is caught, but shares the mutator name)
      if (!create) return -1;
      if (this.raw.calloc(1, ARENA_MAP_MID_BYTES) === 0) return -1;
      m = ++this.arena_map_mid_count;
      this.mids = grown(this.mids, m * MID_LEN);
      this.root[i1] = m;
    }
    // Stryker disable next-line ArithmeticOperator: arena addresses are x86-64 user space (below 2^47), which all share root index 0, so the only mid node is number 1 and (m - 1) is 0: `* MID_LEN` and `/ MID_LEN` agree (the other arithmetic mutants of this line are caught, but share the mutator name)
    const i2 = (m - 1) * MID_LEN + ((hi >>> 2) & (MID_LEN - 1));
    let b = this.mids[i2];
    if (b === 0) {
      // Stryker disable next-line ConditionalExpression: as above, a missing bottom node is never met with create false (`true` is caught, but shares the mutator name)
      if (!create) return -1;
      if (this.raw.calloc(1, ARENA_MAP_BOT_BYTES) === 0) return -1;
      b = ++this.arena_map_bot_count;
      this.bots = grown(this.bots, b * BOT_LEN * LEAF);
      this.mids[i2] = b;
    }
    return (b - 1) * BOT_LEN * LEAF;
  }

  /** arena_map_mark_used: record (or clear) the arena at `base`; false if a node could not be made. */
  arena_map_mark_used(base: number, used: boolean, arenaIndex: number): boolean {
    const nHi = this.arena_map_get(base, used);
    if (nHi < 0) return false;
    const i3 = nHi + LEAF * botIndex(base);
    const tail = base % ARENA_SIZE;
    if (tail === 0) {
      // Stryker disable next-line ArithmeticOperator: TAIL_HI is 0, so `- TAIL_HI` is `+ TAIL_HI`
      this.bots[i3 + TAIL_HI] = used ? -1 : 0;
      this.bots[i3 + IDX_HI] = arenaIndex;
      return true;
    }
    // Stryker disable next-line ArithmeticOperator: TAIL_HI is 0, so `- TAIL_HI` is `+ TAIL_HI`
    this.bots[i3 + TAIL_HI] = used ? tail : 0;
    this.bots[i3 + IDX_HI] = arenaIndex;
    const next = base + ARENA_SIZE;
    const nLo = this.arena_map_get(next, used);
    if (nLo < 0) {
      // Stryker disable next-line ArithmeticOperator: TAIL_HI is 0, so `- TAIL_HI` is `+ TAIL_HI`
      this.bots[i3 + TAIL_HI] = 0;
      return false;
    }
    const j3 = nLo + LEAF * botIndex(next);
    this.bots[j3 + TAIL_LO] = used ? tail : 0;
    this.bots[j3 + IDX_LO] = arenaIndex;
    return true;
  }

  /**
   * address_in_range via arena_map_is_used, returning the owning arena index, or -1
   * when p is not inside an allocated arena.
   */
  arenaOf(p: number): number {
    const hi = Math.floor(p * INV_TWO32);
    const m = this.root[hi >>> 17];
    // Stryker disable next-line ConditionalExpression: without it the next index is negative; a typed array reads undefined there, every comparison below fails, and the result is -1 anyway (`true` is caught, but shares the mutator name)
    if (m === 0) return -1;
    // Stryker disable next-line ArithmeticOperator: as in arena_map_get, (m - 1) is 0 for every address below 2^49, user space included (the other arithmetic mutants of this line are caught, but share the mutator name)
    const b = this.mids[(m - 1) * MID_LEN + ((hi >>> 2) & (MID_LEN - 1))];
    // Stryker disable next-line ConditionalExpression: as above: a negative leaf index reads undefined, and the lookup still returns -1 (`true` is caught, but shares the mutator name)
    if (b === 0) return -1;
    const lo = p >>> 0;
    const leaf = ((b - 1) * BOT_LEN + (((hi & 3) << 12) | (lo >>> 20))) * LEAF;
    const t = lo & (ARENA_SIZE - 1);
    const bots = this.bots;
    if (t < bots[leaf + TAIL_LO]) return bots[leaf + IDX_LO];
    // Stryker disable next-line ArithmeticOperator: TAIL_HI is 0, so `- TAIL_HI` is `+ TAIL_HI`
    const th = bots[leaf + TAIL_HI];
    if (t >= th && th !== 0) return bots[leaf + IDX_HI];
    return -1;
  }
}

/** MAP_BOT_INDEX: bits 20..33 of the address. */
function botIndex(p: number): number {
  const hi = Math.floor(p * INV_TWO32);
  const lo = p >>> 0;
  return ((hi & 3) << 12) | (lo >>> 20);
}

/** `a` with room for at least n entries (capacity doubles; contents kept, the rest zero). */
function grown(a: Int32Array, n: number): Int32Array {
  // Stryker disable next-line EqualityOperator,ConditionalExpression: reallocating when there is room only costs a copy (never reallocating is caught, but shares the mutator name)
  if (n <= a.length) return a;
  // Stryker disable next-line ArithmeticOperator: the capacity stays >= n either way (doubling is for speed)
  const b = new Int32Array(Math.max(n, 2 * a.length));
  b.set(a);
  return b;
}
