/**
 * The simulated 64-bit address space of one process.
 *
 * Two kinds of backing store:
 *  - arena slots: one contiguous typed array; arena object i owns slot i, which spans
 *    SLOT_SIZE bytes starting at its base rounded down to a pool boundary. Inside a slot,
 *    internal offsets keep the 16 KiB pool grid, so `internal >>> POOL_BITS` names a pool
 *    and pymalloc's hot path works on 32-bit offsets into `mem`/`u32` only.
 *  - everything else (RAW malloc blocks, type objects): sparse 4 KiB pages created on
 *    first touch. Untouched bytes read as zero.
 *
 * Addresses are JS numbers (safe integers; x86-64 user space is below 2^47).
 */
import * as $constants from '../pymalloc/constants.ts';

// Imported values as module-level constants, which V8 folds (see constants.ts).
const { ARENA_SIZE, POOL_SIZE, POOL_SIZE_MASK } = $constants;

/** bytes; an arena slot covers 65 pool-sized frames so a misaligned arena still fits. */
export const SLOT_SIZE = ARENA_SIZE + POOL_SIZE;
/** pools per slot (frames of POOL_SIZE bytes). */
export const SLOT_POOLS = SLOT_SIZE / POOL_SIZE;
const PAGE = 4096;
const TWO32 = 4294967296;
/** Internal offsets must stay below 2^31 (they live in Int32Arrays). */
export const MAX_SLOTS = Math.floor(2 ** 31 / SLOT_SIZE);
/**
 * Slots reserved on first use. A zero-filled ArrayBuffer is only virtual memory until
 * touched (calloc/mmap), so reserving a few slots costs little up front and saves
 * the first grow-and-copy steps.
 */
const INITIAL_SLOT_CAPACITY = 4;

export class AddressSpace {
  /** Arena backing store, viewed as bytes and as little-endian 32-bit words. */
  mem: Uint8Array;
  u32: Uint32Array;
  /** Per slot: address of internal offset slot*SLOT_SIZE (pool-aligned), or -1 if unmapped. */
  slotBase: Float64Array;
  /** Per slot: the arena's own base address (slotBase rounded up), or -1. */
  arenaBase: Float64Array;
  /** 1 MiB chunk number -> slots whose arena overlaps that chunk. */
  private chunkSlots = new Map<number, number[]>();
  private pages = new Map<number, Uint8Array>();

  constructor(initialSlots = 0) {
    this.mem = new Uint8Array(initialSlots * SLOT_SIZE);
    this.u32 = new Uint32Array(this.mem.buffer);
    this.slotBase = new Float64Array(initialSlots).fill(-1);
    this.arenaBase = new Float64Array(initialSlots).fill(-1);
  }

  get slots(): number {
    return this.slotBase.length;
  }

  /** Slots whose backing bytes were ever handed to an arena (fresh bytes are already zero). */
  private used = new Uint8Array(0);

  /**
   * Make room for at least n arena slots (existing contents are kept). Grows geometrically
   * (x2, capped at MAX_SLOTS) so mapping arenas one by one costs amortised O(1) copies.
   */
  ensureSlots(n: number): void {
    if (n <= this.slotBase.length) return;
    if (n > MAX_SLOTS) throw new RangeError(`AddressSpace: more than ${MAX_SLOTS} arena slots`);
    const cap = Math.min(MAX_SLOTS, Math.max(n, this.slotBase.length * 2, INITIAL_SLOT_CAPACITY));
    const mem = new Uint8Array(cap * SLOT_SIZE);
    mem.set(this.mem);
    this.mem = mem;
    this.u32 = new Uint32Array(mem.buffer);
    const sb = new Float64Array(cap).fill(-1);
    sb.set(this.slotBase);
    this.slotBase = sb;
    const ab = new Float64Array(cap).fill(-1);
    ab.set(this.arenaBase);
    this.arenaBase = ab;
    const u = new Uint8Array(cap);
    u.set(this.used);
    this.used = u;
  }

  /** Back the arena [base, base + ARENA_SIZE) with slot `slot`, zero-filled as mmap gives it. */
  mapArena(slot: number, base: number): void {
    this.ensureSlots(slot + 1);
    const frame = base - (base % POOL_SIZE);
    this.slotBase[slot] = frame;
    this.arenaBase[slot] = base;
    // Stryker disable next-line ConditionalExpression: zeroing a never-used slot is a no-op (performance only)
    if (this.used[slot] !== 0) this.mem.fill(0, slot * SLOT_SIZE, (slot + 1) * SLOT_SIZE);
    this.used[slot] = 1;
    for (const c of chunksOf(base)) {
      const list = this.chunkSlots.get(c);
      if (list) list.push(slot);
      else this.chunkSlots.set(c, [slot]);
    }
  }

  /**
   * Forget every mapping and every sparse page but keep the arena backing store, as a
   * process that caches freed arenas keeps their memory: the next run maps its arenas
   * into memory that is already there (and zeroes it then, as mmap would).
   */
  reset(): void {
    this.slotBase.fill(-1);
    this.arenaBase.fill(-1);
    this.chunkSlots.clear();
    this.pages.clear();
  }

  /** Zero `length` bytes of arena memory at internal offset `off` (16-byte aligned). */
  zeroArenaBytes(off: number, length: number): void {
    const end = off + length;
    const wend = end & ~3;
    const u32 = this.u32;
    for (let w = off >>> 2; w < wend >>> 2; w++) u32[w] = 0;
    const mem = this.mem;
    for (let b = wend; b < end; b++) mem[b] = 0;
  }

  unmapArena(slot: number, base: number): void {
    this.slotBase[slot] = -1;
    this.arenaBase[slot] = -1;
    for (const c of chunksOf(base)) {
      const list = this.chunkSlots.get(c);
      if (!list) continue;
      const i = list.indexOf(slot);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.chunkSlots.delete(c);
    }
  }

  /** Internal offset of an address that lies in a mapped arena, else -1. */
  arenaOffset(addr: number): number {
    const list = this.chunkSlots.get(Math.floor(addr / ARENA_SIZE));
    if (list === undefined) return -1;
    for (const slot of list) {
      const d = addr - this.arenaBase[slot];
      if (d >= 0 && d < ARENA_SIZE) return slot * SLOT_SIZE + (addr - this.slotBase[slot]);
    }
    return -1;
  }

  /** Address of an internal arena offset. */
  addressOf(internal: number): number {
    const slot = Math.floor(internal / SLOT_SIZE);
    return this.slotBase[slot] + (internal - slot * SLOT_SIZE);
  }

  private page(addr: number, create: boolean): Uint8Array | undefined {
    const key = Math.floor(addr / PAGE);
    let p = this.pages.get(key);
    if (p === undefined && create) {
      p = new Uint8Array(PAGE);
      this.pages.set(key, p);
    }
    return p;
  }

  load8(addr: number): number {
    const off = this.arenaOffset(addr);
    if (off >= 0) return this.mem[off];
    // Stryker disable next-line BooleanLiteral: creating the page on a read only costs memory; it reads as zero either way
    const p = this.page(addr, false);
    return p === undefined ? 0 : p[addr % PAGE];
  }

  store8(addr: number, value: number): void {
    const off = this.arenaOffset(addr);
    if (off >= 0) this.mem[off] = value;
    else this.page(addr, true)![addr % PAGE] = value;
  }

  read(addr: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    // Stryker disable next-line EqualityOperator: out[length] is past the typed array and is dropped
    for (let i = 0; i < length; i++) out[i] = this.load8(addr + i);
    return out;
  }

  write(addr: number, bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      const a = addr + i;
      const n = Math.min(bytes.length - i, PAGE - (a % PAGE));
      // Arenas are page aligned, so a piece within one page is wholly in or out of one.
      // Stryker disable next-line ConditionalExpression,EqualityOperator: fast-path guard only; the byte-wise branch stores the same bytes
      if (this.arenaOffset(a) < 0) {
        this.page(a, true)!.set(bytes.subarray(i, i + n), a % PAGE);
      } else {
        for (let k = 0; k < n; k++) this.store8(a + k, bytes[i + k]);
      }
      i += n;
    }
  }

  fill(addr: number, length: number, value: number): void {
    const off = this.arenaOffset(addr);
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator,LogicalOperator,BlockStatement: fast-path guard only; the paths below store the same bytes
    if (off >= 0 && this.arenaOffset(addr + length - 1) === off + length - 1) {
      this.mem.fill(value, off, off + length);
      return;
    }
    // Sparse memory page by page (arenas are page aligned, so a piece within one page is
    // wholly in or out of one); zeroing never creates a page, it only clears existing ones.
    let a = addr;
    const end = addr + length;
    while (a < end) {
      const pageEnd = (Math.floor(a / PAGE) + 1) * PAGE;
      const stop = Math.min(end, pageEnd);
      if (this.arenaOffset(a) < 0) {
        // Stryker disable next-line ConditionalExpression,EqualityOperator: a created page is zero already, so creating one for a zero fill only costs memory
        const p = this.page(a, value !== 0);
        if (p !== undefined) p.fill(value, a % PAGE, a % PAGE + (stop - a));
      } else for (let b = a; b < stop; b++) this.store8(b, value);
      a = stop;
    }
  }

  /** memmove(dst, src, length). */
  copy(dst: number, src: number, length: number): void {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a 0-byte copy through the paths below copies nothing either
    if (length <= 0) return;
    const so = this.arenaOffset(src);
    const dO = this.arenaOffset(dst);
    // Fast-path guard only; read-then-write below copies the same bytes.
    // Stryker disable all
    if (so >= 0 && dO >= 0 && this.arenaOffset(src + length - 1) === so + length - 1
      && this.arenaOffset(dst + length - 1) === dO + length - 1) {
      // Stryker restore all
      this.mem.copyWithin(dO, so, so + length);
      return;
    }
    // One side in an arena, the other in sparse pages (pymalloc <-> RAW on realloc).
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator,LogicalOperator: fast-path guard only; read() returns the same bytes
    const bytes = so >= 0 && this.arenaOffset(src + length - 1) === so + length - 1
      ? this.mem.slice(so, so + length) : this.read(src, length);
    this.write(dst, bytes);
  }

  /** Little-endian 64-bit load/store (object header words). */
  load64(addr: number): bigint {
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(this.load8(addr + i));
    return v;
  }

  store64(addr: number, value: bigint): void {
    let v = BigInt.asUintN(64, value);
    for (let i = 0; i < 8; i++) {
      this.store8(addr + i, Number(v & 0xffn));
      v >>= 8n;
    }
  }

  /** Pointer-sized load as a number (exact below 2^53). */
  loadPtr(addr: number): number {
    let lo = 0;
    let hi = 0;
    for (let i = 3; i >= 0; i--) lo = lo * 256 + this.load8(addr + i);
    for (let i = 7; i >= 4; i--) hi = hi * 256 + this.load8(addr + i);
    return hi * TWO32 + lo;
  }

  storePtr(addr: number, value: number): void {
    this.store64(addr, BigInt(value));
  }
}

function chunksOf(base: number): number[] {
  const first = Math.floor(base / ARENA_SIZE);
  // Stryker disable next-line ConditionalExpression: an extra chunk entry is harmless (containment is checked exactly)
  return base % ARENA_SIZE === 0 ? [first] : [first, first + 1];
}

/** Round an address down to its pool boundary. */
export function poolFloor(addr: number): number {
  return addr - (addr % POOL_SIZE);
}

export { POOL_SIZE_MASK };
