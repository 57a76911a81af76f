/**
 * An OS for property tests: arena addresses drawn at random (4 KiB aligned, so both 63-
 * and 64-pool arenas occur) from a seeded generator, never overlapping a live arena; an
 * optional small chance that mmap fails. It records what it handed out, so the observer
 * can check "inside an arena the OS gave".
 */
import { AddressSpace } from '../src/memory/address-space.ts';
import { ModelLibC, type ArenaAllocator, type OS } from '../src/memory/os.ts';

/** mulberry32: a tiny deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WINDOW_BASE = 0x7f0000000000;
/** 4 KiB pages in the window arenas are drawn from (16 GiB: shared radix nodes, several bottoms). */
const WINDOW_PAGES = 1 << 22;

export class RandomArenas implements ArenaAllocator {
  readonly live = new Map<number, number>();
  /** Arena bases handed out and failures, in order, since the last `drain()`. */
  events: Array<{ kind: 'alloc' | 'fail' | 'free'; addr: number }> = [];
  private readonly rand: () => number;
  allocated = 0;
  released = 0;
  misaligned = 0;

  constructor(seed: number, private readonly failRate = 0) {
    this.rand = prng(seed);
  }

  alloc(size: number): number {
    if (this.failRate > 0 && this.rand() < this.failRate) {
      this.events.push({ kind: 'fail', addr: 0 });
      return 0;
    }
    for (;;) {
      // Half the arenas near each other (shared radix nodes, neighbours in one 1 MiB
      // chunk), half anywhere in 47-bit user space (other top and mid indexes).
      const r = this.rand();
      const addr = r < 0.45
        ? WINDOW_BASE + Math.floor(this.rand() * WINDOW_PAGES) * 4096
        : r < 0.9
          ? 0x100000000 + Math.floor(this.rand() * (2 ** 35 - 2 ** 20)) * 4096
          : WINDOW_BASE + Math.floor(this.rand() * (WINDOW_PAGES >> 8)) * 1048576;
      let clash = false;
      for (const [a, len] of this.live) if (addr < a + len && a < addr + size) clash = true;
      if (clash) continue;
      this.live.set(addr, size);
      this.allocated++;
      if (addr % 16384 !== 0) this.misaligned++;
      this.events.push({ kind: 'alloc', addr });
      return addr;
    }
  }

  free(addr: number, size: number): void {
    if (this.live.get(addr) !== size) throw new Error(`arena free of 0x${addr.toString(16)} that is not a live arena`);
    this.live.delete(addr);
    this.released++;
    this.events.push({ kind: 'free', addr });
  }

  drain(): Array<{ kind: 'alloc' | 'fail' | 'free'; addr: number }> {
    const e = this.events;
    this.events = [];
    return e;
  }

  /** The live arena containing addr, or undefined. */
  arenaOf(addr: number): number | undefined {
    for (const [a, len] of this.live) if (addr >= a && addr < a + len) return a;
    return undefined;
  }
}

export function randomOS(arenas: RandomArenas): (space: AddressSpace) => OS {
  return (space) => ({ arenas, libc: new ModelLibC(space) });
}
