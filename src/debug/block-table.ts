/**
 * A side table of the blocks an allocator layer handed out and took back, used only to
 * turn undefined behaviour into a deterministic report (docs/debug-hooks.md): a double
 * free, a realloc of a freed block, a pointer that was never returned, and memory written
 * after it was freed. It never reads or writes the simulated memory, so the byte-level
 * behaviour of every defined case is unchanged.
 *
 * A block is named by its pointer `p` and covers [start, end): for a debug block that
 * is the whole decorated block [p-16, p+N+8); for a plain block [p, p+N).
 */

export interface BlockRecord {
  readonly p: number;
  readonly start: number;
  readonly end: number;
  /** API family ('r', 'm', 'o') of the call that handed it out. */
  readonly api: string;
  /** The allocator underneath that owns its memory (compared by identity). */
  readonly owner: unknown;
  live: boolean;
  /** The public function that released it (`PyMem_Free`, `PyObject_Realloc`, ...). */
  freedBy: string;
  /** Address of the first write into the block after it was freed, or -1. */
  writtenAt: number;
  /** Set when a newer live block overlaps it: its memory belongs to someone else now. */
  superseded: boolean;
}

/**
 * Freed records are also indexed by the BUCKET-byte buckets they cover, so that handing
 * out a block looks only at the freed records near it (a replay of a long trace keeps
 * tens of thousands); records covering more than BIG_SPAN buckets are kept in a list.
 * Performance only: the answers are those of a scan over every freed record.
 */
const BUCKET = 4096;
const BIG_SPAN = 64;

export class BlockTable {
  private readonly byPtr = new Map<number, BlockRecord>();
  private readonly live = new Set<BlockRecord>();
  /** Freed, not superseded: writes into these are writes into freed memory. */
  private readonly freed = new Set<BlockRecord>();
  private readonly freedBuckets = new Map<number, Set<BlockRecord>>();
  private readonly freedBig = new Set<BlockRecord>();
  /** Freed records that were written after they were freed. */
  private readonly dirty = new Set<BlockRecord>();

  lookup(p: number): BlockRecord | undefined {
    return this.byPtr.get(p);
  }

  /** A block [start, end) named p was handed out. Freed blocks it overlaps are superseded. */
  allocated(p: number, start: number, end: number, api: string, owner: unknown): void {
    for (const r of this.freedNear(start, Math.max(end, start + 1))) {
      if (r.start < Math.max(end, start + 1) && start < r.end) {
        r.superseded = true;
        this.unfree(r);
        this.dirty.delete(r);
      }
    }
    const old = this.byPtr.get(p);
    if (old !== undefined) this.forget(old);
    const rec: BlockRecord = { p, start, end, api, owner, live: true, freedBy: '', writtenAt: -1, superseded: false };
    this.byPtr.set(p, rec);
    this.live.add(rec);
  }

  /** The live block p was released by `by`. */
  released(p: number, by: string): void {
    const r = this.byPtr.get(p);
    if (r === undefined || !r.live) return;
    r.live = false;
    r.freedBy = by;
    this.live.delete(r);
    this.freed.add(r);
    const [b0, b1] = bucketsOf(r);
    if (b1 - b0 >= BIG_SPAN) this.freedBig.add(r);
    else {
      for (let b = b0; b <= b1; b++) {
        const set = this.freedBuckets.get(b);
        if (set === undefined) this.freedBuckets.set(b, new Set([r]));
        else set.add(r);
      }
    }
  }

  /** Freed records that may overlap [start, end): those in its buckets and the big ones. */
  private freedNear(start: number, end: number): BlockRecord[] {
    const out = [...this.freedBig];
    const b0 = Math.floor(start / BUCKET);
    const b1 = Math.floor((end - 1) / BUCKET);
    if (b1 - b0 >= BIG_SPAN) return [...this.freed];
    for (let b = b0; b <= b1; b++) {
      const set = this.freedBuckets.get(b);
      if (set !== undefined) for (const r of set) out.push(r);
    }
    return out;
  }

  /** Drop r from the freed set and its index. */
  private unfree(r: BlockRecord): void {
    if (!this.freed.delete(r)) return;
    if (this.freedBig.delete(r)) return;
    const [b0, b1] = bucketsOf(r);
    for (let b = b0; b <= b1; b++) {
      const set = this.freedBuckets.get(b);
      if (set === undefined) continue;
      set.delete(r);
      if (set.size === 0) this.freedBuckets.delete(b);
    }
  }

  /** The live block p was resized in place to [start, end). */
  resized(p: number, start: number, end: number): void {
    const r = this.byPtr.get(p);
    if (r === undefined) return;
    this.forget(r);
    this.allocated(p, start, end, r.api, r.owner);
  }

  /**
   * Someone stored a byte at addr (a scenario `poke`). If it lies in no live block but
   * in a freed one, that freed block now holds a write after free.
   */
  noteWrite(addr: number): void {
    // Stryker disable next-line ConditionalExpression: fast path only; with no freed record the live loop below can only return early and the freed loop visits nothing, so skipping the early return changes nothing
    if (this.freed.size === 0) return;
    for (const r of this.live) if (addr >= r.start && addr < r.end) return;
    for (const r of this.freed) {
      if (addr >= r.start && addr < r.end && r.writtenAt < 0) {
        r.writtenAt = addr;
        this.dirty.add(r);
      }
    }
  }

  /** A freed block written after it was freed that overlaps [start, end), if any. */
  dirtyOverlapping(start: number, end: number): BlockRecord | undefined {
    for (const r of this.dirty) if (r.start < Math.max(end, start + 1) && start < r.end) return r;
    return undefined;
  }

  private forget(r: BlockRecord): void {
    this.live.delete(r);
    this.unfree(r);
    this.dirty.delete(r);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: both callers (allocated, resized) pass the record byPtr holds for r.p, so the test is always true, and both set byPtr[r.p] to the new record right after, so whether the entry was deleted first is unobservable (byPtr is never iterated)
    if (this.byPtr.get(r.p) === r) this.byPtr.delete(r.p);
  }
}

/** The first and last BUCKET a record covers (a 0-byte record covers its start). */
function bucketsOf(r: BlockRecord): [number, number] {
  return [Math.floor(r.start / BUCKET), Math.floor((Math.max(r.end, r.start + 1) - 1) / BUCKET)];
}

/** `p+3`, `p-16`: an address relative to a block pointer, for messages. */
export function relative(addr: number, p: number): string {
  const d = addr - p;
  return d < 0 ? `p${d}` : `p+${d}`;
}
