/**
 * An outside view of pymalloc: from the requests, the addresses that came back and the
 * arenas the OS handed out, it predicts where CPython 3.11 places each small block,
 * using only rules that can be stated simply:
 *  - 1..512 bytes through 'm'/'o' come from a pool of class (n-1)>>4, on that class's
 *    grid (pool + 48 + k*size), inside a live arena; 0, > 512 and 'r' never do;
 *  - a class with a used pool allocates from the head of its list (the pool that most
 *    recently stopped being full, or its only pool); inside a pool the most recently
 *    freed block comes first, then never-used blocks in address order;
 *  - a class without a used pool takes a new pool from the usable arena with the fewest
 *    free pools (a new arena only when none is usable); inside that arena the most
 *    recently emptied pool first, then the next never-carved one;
 *  - realloc of a pymalloc block stays in place exactly when n <= size and 4n > 3*size;
 *  - an arena is released only when all its pools are free.
 * It knows nothing of src/ beyond the addresses it is shown.
 */
import type { RandomArenas } from './test-os.ts';

const POOL = 16384;
const OVERHEAD = 48;
const numBlocks = (c: number): number => Math.floor((POOL - OVERHEAD) / (16 * (c + 1)));

interface ArenaObs { base: number; ntotal: number; firstPool: number; carved: number; active: number; emptied: number[] }
interface PoolObs { arena: number; cls: number; live: Set<number>; freed: number[]; virgin: number }

export class ObserverError extends Error {}

export class PymallocObserver {
  private arenas = new Map<number, ArenaObs>();
  private pools = new Map<number, PoolObs>();
  private used: number[][] = Array.from({ length: 32 }, () => []);
  /** pymalloc blocks handed out: address -> pool address. */
  private blocks = new Map<number, number>();
  private events: Array<{ kind: 'alloc' | 'fail' | 'free'; addr: number }> = [];
  private wholeArenaFree: ArenaObs | undefined;

  constructor(private readonly os: RandomArenas, private readonly pymallocOn: boolean) {}

  private fail(msg: string): never {
    throw new ObserverError(`pymalloc placement: ${msg}`);
  }

  /** Call once per API call, before feeding its results. */
  beginCall(): void {
    this.os.drain();
    this.events = [];
  }

  /** Take the OS events that happened since the last look. */
  private pull(): void {
    this.events.push(...this.os.drain());
  }

  private hex(a: number): string {
    return `0x${a.toString(16)}`;
  }

  /** A malloc/calloc-like request of n bytes through `api` returned `addr`. */
  onAlloc(api: 'r' | 'm' | 'o', n: number, addr: number): void {
    this.pull();
    let failed = false;
    let fresh: number | undefined;
    while (this.events.length > 0 && this.events[0].kind !== 'free') {
      const e = this.events.shift()!;
      if (e.kind === 'fail') failed = true;
      else {
        const ntotal = e.addr % POOL === 0 ? 64 : 63;
        const firstPool = Math.ceil(e.addr / POOL) * POOL;
        this.arenas.set(e.addr, { base: e.addr, ntotal, firstPool, carved: 0, active: 0, emptied: [] });
        fresh = e.addr;
      }
    }
    const small = this.pymallocOn && api !== 'r' && n >= 1 && n <= 512;
    if (addr === 0) {
      if (small && !failed) this.fail(`${n}-byte request refused although no arena allocation failed`);
      return;
    }
    if (!small || failed) {
      if (this.os.arenaOf(addr) !== undefined) this.fail(`${api} request of ${n} bytes served from an arena at ${this.hex(addr)}`);
      return;
    }
    this.placeSmall(n, addr, fresh);
  }

  private placeSmall(n: number, addr: number, fresh: number | undefined): void {
    const c = (n - 1) >> 4;
    const size = 16 * (c + 1);
    const arenaBase = this.os.arenaOf(addr);
    if (arenaBase === undefined) this.fail(`${n}-byte block ${this.hex(addr)} is not inside an arena the OS handed out`);
    const pool = addr - (addr % POOL);
    let p: PoolObs | undefined = this.pools.get(pool);
    const list = this.used[c];
    if (list.length > 0) {
      if (pool !== list[0]) this.fail(`class ${c} should allocate from its head pool ${this.hex(list[0])}, got ${this.hex(addr)}`);
    } else {
      const a = this.arenas.get(arenaBase)!;
      const nfree = (x: ArenaObs): number => x.ntotal - x.active;
      if (fresh !== undefined) {
        if (arenaBase !== fresh) this.fail(`a new arena ${this.hex(fresh)} was made but the block ${this.hex(addr)} is elsewhere`);
      } else {
        let min = Infinity;
        for (const x of this.arenas.values()) if (nfree(x) > 0 && nfree(x) < min) min = nfree(x);
        if (min === Infinity) this.fail(`no usable arena, yet no new arena was made for ${this.hex(addr)}`);
        if (nfree(a) !== min) this.fail(`new pool taken from an arena with ${nfree(a)} free pools, not the fewest (${min})`);
      }
      const expectPool = a.emptied.length > 0 ? a.emptied[a.emptied.length - 1] : a.firstPool + a.carved * POOL;
      if (pool !== expectPool) this.fail(`new pool should be ${this.hex(expectPool)}, got ${this.hex(pool)}`);
      if (a.emptied.length > 0) a.emptied.pop();
      else {
        if (a.carved >= a.ntotal) this.fail(`arena ${this.hex(a.base)} carved more than its ${a.ntotal} pools`);
        a.carved++;
      }
      a.active++;
      if (p === undefined || p.cls !== c) {
        p = { arena: arenaBase, cls: c, live: new Set(), freed: [], virgin: 0 };
        this.pools.set(pool, p);
      }
      list.push(pool);
    }
    p = p!;
    const expect = p.freed.length > 0 ? p.freed[p.freed.length - 1] : pool + OVERHEAD + p.virgin * size;
    if (addr !== expect) this.fail(`${n}-byte block should be ${this.hex(expect)}, got ${this.hex(addr)}`);
    if (p.freed.length > 0) p.freed.pop();
    else p.virgin++;
    if (addr + size > pool + POOL) this.fail(`block ${this.hex(addr)} runs past its pool`);
    p.live.add(addr);
    this.blocks.set(addr, pool);
    if (p.live.size === numBlocks(c)) list.splice(list.indexOf(pool), 1);
  }

  /** Whether addr is a pymalloc block the observer saw handed out. */
  isPymalloc(addr: number): boolean {
    return this.blocks.has(addr);
  }

  /** free of a block that came back from an earlier call. */
  onFree(addr: number): void {
    this.pull();
    const pool = this.blocks.get(addr);
    if (pool !== undefined) {
      this.blocks.delete(addr);
      const p = this.pools.get(pool)!;
      const list = this.used[p.cls];
      const wasFull = p.live.size === numBlocks(p.cls);
      p.live.delete(addr);
      p.freed.push(addr);
      if (wasFull) list.unshift(pool);
      if (p.live.size === 0) {
        list.splice(list.indexOf(pool), 1);
        const a = this.arenas.get(p.arena)!;
        a.active--;
        a.emptied.push(pool);
        if (a.active === 0) this.wholeArenaFree = a;
      }
    }
    const whole = this.wholeArenaFree;
    this.wholeArenaFree = undefined;
    const released = this.events.some((e) => e.kind === 'free' && whole !== undefined && e.addr === whole.base);
    if (whole !== undefined) {
      // Kept only while it is the last usable arena: released when another usable arena
      // has at least as many free pools, kept when all others have fewer than it had.
      let maxOther = -1;
      for (const x of this.arenas.values()) if (x !== whole && x.ntotal - x.active > 0) maxOther = Math.max(maxOther, x.ntotal - x.active);
      if (maxOther >= whole.ntotal && !released) this.fail(`wholly free arena ${this.hex(whole.base)} kept although another has ${maxOther} free pools`);
      if (maxOther < whole.ntotal - 1 && released) this.fail(`wholly free arena ${this.hex(whole.base)} released although it was the last usable arena`);
    }
    for (const e of this.events.splice(0)) {
      if (e.kind !== 'free') continue;
      const a = this.arenas.get(e.addr);
      if (a === undefined) this.fail(`arena ${this.hex(e.addr)} released but never seen`);
      if (a.active !== 0) this.fail(`arena ${this.hex(e.addr)} released with ${a.active} pools in use`);
      this.arenas.delete(e.addr);
      for (const [pa, po] of this.pools) if (po.arena === e.addr) this.pools.delete(pa);
    }
  }

  /** realloc(p, n) through `api` returned q (p non-NULL). */
  onRealloc(api: 'r' | 'm' | 'o', p: number, n: number, q: number): void {
    const pool = this.blocks.get(p);
    if (pool === undefined) {
      // Not a pymalloc block: RAW realloc, and a raw block stays raw.
      if (q !== 0 && this.os.arenaOf(q) !== undefined) this.fail(`raw block ${this.hex(p)} moved into an arena`);
      this.os.drain();
      this.events = [];
      return;
    }
    const size = 16 * (this.pools.get(pool)!.cls + 1);
    const inPlace = n <= size && 4 * n > 3 * size;
    if (inPlace !== (q === p)) {
      this.fail(`realloc of a ${size}-byte block to ${n}: ${inPlace ? 'must stay in place' : 'must move'}, got ${q === p ? 'in place' : 'moved'}`);
    }
    if (inPlace) return;
    this.onAlloc(api, n, q);
    if (q !== 0) this.onFree(p);
  }
}
