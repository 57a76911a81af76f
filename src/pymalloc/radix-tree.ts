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
 */
import { ARENA_MAP_BOT_BYTES, ARENA_MAP_MID_BYTES, ARENA_SIZE, MAP_BOT_BITS, MAP_MID_BITS, MAP_TOP_BITS } from './constants.ts';
import type { RawApi } from './state.ts';

const TWO32 = 4294967296;
const MID_LEN = 1 << MAP_MID_BITS;
const BOT_LEN = 1 << MAP_BOT_BITS;
/** Leaf fields, 4 int32 per leaf. */
const TAIL_HI = 0;
const TAIL_LO = 1;
const IDX_HI = 2;
const IDX_LO = 3;

type Bot = Int32Array;
type Mid = Array<Bot | null>;

export class RadixTree {
  readonly root: Array<Mid | null> = new Array<Mid | null>(1 << MAP_TOP_BITS).fill(null);
  arena_map_mid_count = 0;
  arena_map_bot_count = 0;

  constructor(public raw: RawApi) {}

  /** arena_map_get: the bottom node for p, creating missing nodes when asked. */
  arena_map_get(p: number, create: boolean): Bot | null {
    const hi = Math.floor(p / TWO32);
    const lo = p >>> 0;
    const i1 = hi >>> 17;
    let mid = this.root[i1];
    if (mid === null) {
      if (!create) return null;
      if (this.raw.calloc(1, ARENA_MAP_MID_BYTES) === 0) return null;
      mid = new Array<Bot | null>(MID_LEN).fill(null);
      this.root[i1] = mid;
      this.arena_map_mid_count++;
    }
    const i2 = (hi >>> 2) & (MID_LEN - 1);
    let bot = mid[i2];
    if (bot === null) {
      if (!create) return null;
      if (this.raw.calloc(1, ARENA_MAP_BOT_BYTES) === 0) return null;
      bot = new Int32Array(4 * BOT_LEN);
      mid[i2] = bot;
      this.arena_map_bot_count++;
    }
    void lo;
    return bot;
  }

  /** arena_map_mark_used: record (or clear) the arena at `base`; false if a node could not be made. */
  arena_map_mark_used(base: number, used: boolean, arenaIndex: number): boolean {
    const nHi = this.arena_map_get(base, used);
    if (nHi === null) return false;
    const i3 = botIndex(base);
    const tail = base % ARENA_SIZE;
    if (tail === 0) {
      nHi[4 * i3 + TAIL_HI] = used ? -1 : 0;
      nHi[4 * i3 + IDX_HI] = arenaIndex;
      return true;
    }
    nHi[4 * i3 + TAIL_HI] = used ? tail : 0;
    nHi[4 * i3 + IDX_HI] = arenaIndex;
    const next = base + ARENA_SIZE;
    const nLo = this.arena_map_get(next, used);
    if (nLo === null) {
      nHi[4 * i3 + TAIL_HI] = 0;
      return false;
    }
    const j3 = botIndex(next);
    nLo[4 * j3 + TAIL_LO] = used ? tail : 0;
    nLo[4 * j3 + IDX_LO] = arenaIndex;
    return true;
  }

  /**
   * address_in_range via arena_map_is_used, returning the owning arena index, or -1
   * when p is not inside an allocated arena.
   */
  arenaOf(p: number): number {
    const hi = Math.floor(p / TWO32);
    const mid = this.root[hi >>> 17];
    if (mid === null) return -1;
    const bot = mid[(hi >>> 2) & (MID_LEN - 1)];
    if (bot === null) return -1;
    const lo = p >>> 0;
    const leaf = 4 * ((((hi & 3) << 12) | (lo >>> 20)));
    const t = lo & (ARENA_SIZE - 1);
    if (t < bot[leaf + TAIL_LO]) return bot[leaf + IDX_LO];
    const th = bot[leaf + TAIL_HI];
    if (t >= th && th !== 0) return bot[leaf + IDX_HI];
    return -1;
  }
}

/** MAP_BOT_INDEX: bits 20..33 of the address. */
function botIndex(p: number): number {
  const hi = Math.floor(p / TWO32);
  const lo = p >>> 0;
  return ((hi & 3) << 12) | (lo >>> 20);
}
