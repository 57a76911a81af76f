/**
 * NOT an allocator. A fixed-shape stand-in for the pymalloc fast paths, written the way
 * V8 compiles best (one class, literal constants, no calls), to measure what JavaScript
 * can do at best on this machine for the same memory operations: per malloc, a usedpools
 * head read, a count update, a free-list pop (a link read from block memory) and an
 * address built from the pool's base; per free, a three-level radix-tree lookup from a
 * 64-bit address, a link write and a count update. It has one arena, one pool per size
 * class, no pool-full or pool-empty transitions and no checks, so it is only valid for
 * the pattern of bench/micro (at most 125 live blocks per class, 16..128 bytes).
 *
 * Its time is a floor for our model, not a target for it.
 */
const BASE_HI = 0x7f12;
const BASE_LO = 0x34500000;
const TWO32 = 4294967296;
const INV_TWO32 = 1 / TWO32;

export class IdealKernel {
  private readonly ph = new Int32Array(16 * 64);
  private readonly mem = new Uint32Array(1 << 18);
  private readonly root = new Int32Array(1 << 15);
  private readonly mids = new Int32Array(1 << 15);
  private readonly bots = new Int32Array(4 << 14);

  constructor() {
    // Pool k (for size class k) is frame k + 1 of the arena; pool indexes start at 32.
    for (let c = 0; c < 8; c++) {
      const pool = 33 + c;
      const h = pool * 16;
      this.ph[c * 16 + 2] = pool;
      this.ph[h + 1] = (pool - 32) * 16384 + 48;
      this.ph[h + 6] = 48 + ((c + 1) << 4);
      this.ph[h + 8] = BASE_LO + (pool - 32) * 16384;
      this.ph[h + 9] = BASE_HI;
    }
    this.root[BASE_HI >>> 17] = 1;
    this.mids[(BASE_HI >>> 2) & 32767] = 1;
    const leaf = (((BASE_HI & 3) << 12) | (BASE_LO >>> 20)) * 4;
    this.bots[leaf] = -1;
  }

  malloc(n: number): number {
    const c = (n - 1) >> 4;
    const ph = this.ph;
    const pool = ph[c * 16 + 2];
    const h = pool * 16;
    ph[h]++;
    const bp = ph[h + 1];
    const w = bp >>> 2;
    const mem = this.mem;
    let next = 0;
    if ((mem[w] | mem[w + 1]) !== 0) next = ((pool - 32) << 14) + (mem[w] & 16383);
    ph[h + 1] = next;
    if (next === 0) {
      const no = ph[h + 6];
      const fb = ((pool - 32) << 14) + no;
      ph[h + 1] = fb;
      ph[h + 6] = no + ((c + 1) << 4);
      mem[fb >>> 2] = 0;
      mem[(fb >>> 2) + 1] = 0;
    }
    return ph[h + 9] * TWO32 + ((ph[h + 8] + (bp & 16383)) >>> 0);
  }

  /** Blocks handed out and not freed (a sanity check for the runner). */
  live(): number {
    let n = 0;
    for (let c = 0; c < 8; c++) n += this.ph[(33 + c) * 16];
    return n;
  }

  free(p: number): void {
    const hi = Math.floor(p * INV_TWO32);
    const m = this.root[hi >>> 17];
    const b = this.mids[(m - 1) * 32768 + ((hi >>> 2) & 32767)];
    const lo = p >>> 0;
    const leaf = ((b - 1) * 16384 + (((hi & 3) << 12) | (lo >>> 20))) * 4;
    const t = lo & 1048575;
    const bots = this.bots;
    let ao = -1;
    if (t < bots[leaf + 1]) ao = bots[leaf + 3];
    else if (t >= bots[leaf] && bots[leaf] !== 0) ao = bots[leaf + 2];
    const off = ao * 1064960 + (lo - BASE_LO);
    const h = ((off >>> 14) + 32) * 16;
    const ph = this.ph;
    const mem = this.mem;
    const last = ph[h + 1];
    const w = off >>> 2;
    if (last === 0) {
      mem[w] = 0;
      mem[w + 1] = 0;
    } else {
      mem[w] = (ph[h + 8] + (last & 16383)) >>> 0;
      mem[w + 1] = ph[h + 9];
    }
    ph[h + 1] = off;
    ph[h]--;
  }
}
