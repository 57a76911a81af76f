/**
 * The side table behind the undefined-behaviour reports (src/debug/block-table.ts,
 * docs/debug-hooks.md): which blocks are live, which were freed and by whom, which freed
 * block was written after free and where first, and which freed blocks a newer block has
 * superseded. Checked against a brute-force reference over a tiny address range (so
 * overlaps, reuse of one pointer, supersession and writes into freed memory are common),
 * plus hand-computed examples for every boundary.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BlockTable, type BlockRecord, relative } from '../../src/debug/block-table.ts';

// ---------------------------------------------------------------------------------------
// Reference model: plain arrays, linear scans, every rule spelled out from the comments.
// ---------------------------------------------------------------------------------------

interface RefRecord {
  readonly id: number;
  readonly p: number;
  readonly start: number;
  readonly end: number;
  readonly api: string;
  readonly owner: unknown;
  live: boolean;
  freedBy: string;
  writtenAt: number;
  superseded: boolean;
  /** Replaced by a newer record of the same p (re-allocation or resize): out of every set. */
  forgotten: boolean;
  /** Freed and neither superseded nor forgotten: writes into it are writes after free. */
  countsAsFreed: boolean;
  /** When it was released (orders the freed blocks), or -1. */
  releasedAt: number;
  /** When it was first written after free (orders the dirty blocks), or -1. */
  dirtiedAt: number;
}

/**
 * The overlap rule of allocated() and dirtyOverlapping(): the block's [start, end) against
 * the interval [start, max(end, start + 1)), so a zero-length range still stands for the
 * one byte at its start.
 */
function overlaps(r: { start: number; end: number }, start: number, end: number): boolean {
  const qEnd = end > start ? end : start + 1;
  return start < r.end && r.start < qEnd;
}

function contains(r: { start: number; end: number }, addr: number): boolean {
  return r.start <= addr && addr < r.end;
}

class RefTable {
  /** Every record ever made, oldest first. */
  readonly all: RefRecord[] = [];
  private clock = 0;

  /** The newest record named p: the table only ever replaces a record by a newer one for the same p. */
  current(p: number): RefRecord | undefined {
    for (let i = this.all.length - 1; i >= 0; i--) if (this.all[i].p === p) return this.all[i];
    return undefined;
  }

  private liveRecords(): RefRecord[] {
    return this.all.filter((r) => r.live && !r.forgotten);
  }

  /** Freed records that still count, in the order they were released. */
  private freedRecords(): RefRecord[] {
    return this.all.filter((r) => r.countsAsFreed).sort((a, b) => a.releasedAt - b.releasedAt);
  }

  /** Freed records written after free, in the order of their first such write. */
  dirtyRecords(): RefRecord[] {
    return this.freedRecords().filter((r) => r.writtenAt >= 0).sort((a, b) => a.dirtiedAt - b.dirtiedAt);
  }

  private forget(r: RefRecord): void {
    r.forgotten = true;
    r.countsAsFreed = false;
  }

  allocated(p: number, start: number, end: number, api: string, owner: unknown): RefRecord {
    for (const r of this.freedRecords()) {
      if (overlaps(r, start, end)) {
        r.superseded = true;
        r.countsAsFreed = false;
      }
    }
    const old = this.current(p);
    if (old !== undefined) this.forget(old);
    const rec: RefRecord = {
      id: this.all.length, p, start, end, api, owner, live: true, freedBy: '', writtenAt: -1,
      superseded: false, forgotten: false, countsAsFreed: false, releasedAt: -1, dirtiedAt: -1,
    };
    this.all.push(rec);
    return rec;
  }

  released(p: number, by: string): void {
    const r = this.current(p);
    if (r === undefined || !r.live) return;
    r.live = false;
    r.freedBy = by;
    r.countsAsFreed = true;
    r.releasedAt = this.clock++;
  }

  /** Only called for a live p or an unknown one (the table's contract). */
  resized(p: number, start: number, end: number): RefRecord | undefined {
    const r = this.current(p);
    if (r === undefined) return undefined;
    this.forget(r);
    return this.allocated(p, start, end, r.api, r.owner);
  }

  noteWrite(addr: number): void {
    if (this.liveRecords().some((r) => contains(r, addr))) return;
    for (const r of this.freedRecords()) {
      if (contains(r, addr) && r.writtenAt === -1) {
        r.writtenAt = addr;
        r.dirtiedAt = this.clock++;
      }
    }
  }

  dirtyOverlapping(start: number, end: number): RefRecord | undefined {
    return this.dirtyRecords().find((r) => overlaps(r, start, end));
  }
}

// ---------------------------------------------------------------------------------------
// Commands: pointers 0..5, blocks inside [0, 18), writes at -1..18; the probes cover all of it.
// ---------------------------------------------------------------------------------------

const OWNERS = [{ name: 'pymalloc' }, { name: 'libc' }, { name: 'other' }] as const;
const ptr = fc.integer({ min: 0, max: 5 });
const start = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 12 }));
const len = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }) });
const api = fc.constantFrom('r', 'm', 'o');
const by = fc.constantFrom('PyMem_Free', 'PyObject_Free', 'PyMem_RawRealloc');

type Cmd =
  | { k: 'alloc'; p: number; start: number; len: number; api: string; owner: number }
  | { k: 'release'; p: number; by: string }
  | { k: 'resize'; p: number; start: number; len: number }
  | { k: 'write'; addr: number }
  /** A write relative to the current record of p: from one below its start to its end. */
  | { k: 'writeNear'; p: number; off: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('alloc' as const), p: ptr, start, len, api, owner: fc.nat({ max: 2 }) }) },
  // a plain block [p, p+N), as the scenario guard records them
  { weight: 1, arbitrary: fc.record({ k: fc.constant('alloc' as const), p: ptr, len, api, owner: fc.nat({ max: 2 }) }).map((c) => ({ ...c, start: c.p })) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('release' as const), p: ptr, by }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('resize' as const), p: ptr, start, len }) },
  // address 0 often: a first write at 0 must stick like any other (writtenAt 0 is not "unwritten")
  { weight: 2, arbitrary: fc.record({ k: fc.constant('write' as const), addr: fc.oneof(fc.constant(0), fc.integer({ min: -1, max: 18 })) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('writeNear' as const), p: ptr, off: fc.nat({ max: 20 }) }) },
);

const PROBE_PTRS = Array.from({ length: 8 }, (_, i) => i - 1);
const PROBE_RANGES: [number, number][] = [];
for (let s = -1; s <= 19; s++) for (let e = s; e <= 20; e++) PROBE_RANGES.push([s, e]);

function view(r: { p: number; start: number; end: number; api: string; owner: unknown; live: boolean; freedBy: string; writtenAt: number; superseded: boolean } | undefined) {
  if (r === undefined) return undefined;
  return {
    p: r.p, start: r.start, end: r.end, api: r.api, owner: OWNERS.indexOf(r.owner as (typeof OWNERS)[number]),
    live: r.live, freedBy: r.freedBy, writtenAt: r.writtenAt, superseded: r.superseded,
  };
}

describe('BlockTable against a brute-force reference', () => {
  test('lookup(p) for every p and dirtyOverlapping for every range agree after each step', () => {
    fc.assert(fc.property(fc.array(cmd, { minLength: 10, maxLength: 50, size: 'max' }), (cmds) => {
      const t = new BlockTable();
      const ref = new RefTable();
      /** The table's record object for each reference record, captured when it was made. */
      const objOf = new Map<number, BlockRecord>();
      const idOf = (r: BlockRecord | undefined): number | undefined => {
        if (r === undefined) return undefined;
        for (const [id, o] of objOf) if (o === r) return id;
        return -2; // an object the table never handed out
      };
      cmds.forEach((c, step) => {
        switch (c.k) {
          case 'alloc': {
            const rec = ref.allocated(c.p, c.start, c.start + c.len, c.api, OWNERS[c.owner]);
            t.allocated(c.p, c.start, c.start + c.len, c.api, OWNERS[c.owner]);
            objOf.set(rec.id, t.lookup(c.p)!);
            break;
          }
          case 'release':
            ref.released(c.p, c.by);
            t.released(c.p, c.by);
            break;
          case 'resize': {
            const cur = ref.current(c.p);
            if (cur !== undefined && !cur.live) break; // resizing a freed block is outside the contract
            const rec = ref.resized(c.p, c.start, c.start + c.len);
            t.resized(c.p, c.start, c.start + c.len);
            if (rec !== undefined) objOf.set(rec.id, t.lookup(c.p)!);
            break;
          }
          case 'writeNear': {
            const r = ref.current(c.p);
            const addr = r === undefined ? c.off : r.start - 1 + (c.off % (r.end - r.start + 2));
            ref.noteWrite(addr);
            t.noteWrite(addr);
            break;
          }
          case 'write':
            ref.noteWrite(c.addr);
            t.noteWrite(c.addr);
            break;
        }
        const got = {
          step,
          lookups: PROBE_PTRS.map((p) => view(t.lookup(p))),
          dirty: PROBE_RANGES.map(([s, e]) => idOf(t.dirtyOverlapping(s, e))),
        };
        const want = {
          step,
          lookups: PROBE_PTRS.map((p) => view(ref.current(p))),
          dirty: PROBE_RANGES.map(([s, e]) => ref.dirtyOverlapping(s, e)?.id),
        };
        expect(got).toEqual(want);
        for (const p of PROBE_PTRS) {
          const r = ref.current(p);
          if (r !== undefined) expect(t.lookup(p)).toBe(objOf.get(r.id));
        }
      });
    }), { numRuns: 200 });
  });
});

// ---------------------------------------------------------------------------------------
// Hand-computed examples.
// ---------------------------------------------------------------------------------------

const LIBC = { name: 'libc' };

describe('BlockTable examples', () => {
  test('a new record: live, not freed, not written, not superseded, with its api and owner', () => {
    const t = new BlockTable();
    expect(t.lookup(10)).toBeUndefined();
    t.allocated(10, 6, 30, 'o', LIBC);
    const r = t.lookup(10)!;
    expect(r).toEqual({ p: 10, start: 6, end: 30, api: 'o', owner: LIBC, live: true, freedBy: '', writtenAt: -1, superseded: false });
    expect(r.owner).toBe(LIBC);
    expect(t.lookup(6)).toBeUndefined();
    expect(t.lookup(11)).toBeUndefined();
  });

  test('release marks the block freed by the releasing function', () => {
    const t = new BlockTable();
    t.allocated(10, 10, 14, 'm', LIBC);
    t.released(10, 'PyMem_Free');
    expect(t.lookup(10)).toMatchObject({ live: false, freedBy: 'PyMem_Free', writtenAt: -1, superseded: false });
  });

  test('released() of an unknown p does nothing; of an already freed p keeps the first release', () => {
    const t = new BlockTable();
    expect(() => t.released(42, 'PyMem_Free')).not.toThrow();
    expect(t.lookup(42)).toBeUndefined();

    t.allocated(10, 10, 14, 'm', LIBC);
    t.released(10, 'PyMem_Free');
    t.released(10, 'PyObject_Realloc');
    expect(t.lookup(10)).toMatchObject({ live: false, freedBy: 'PyMem_Free' });
  });

  test('a superseded block does not come back by being released again', () => {
    const t = new BlockTable();
    t.allocated(10, 10, 14, 'm', LIBC);
    t.released(10, 'PyMem_Free');
    t.allocated(20, 12, 20, 'm', LIBC); // overlaps [10,14): supersedes it
    expect(t.lookup(10)).toMatchObject({ live: false, superseded: true, freedBy: 'PyMem_Free' });
    t.released(10, 'PyMem_RawFree');
    expect(t.lookup(10)).toMatchObject({ live: false, superseded: true, freedBy: 'PyMem_Free' });
    t.released(20, 'PyMem_Free');
    t.allocated(30, 40, 48, 'm', LIBC); // unrelated; [12,20) is the only freed block
    t.noteWrite(11); // only in the superseded block: not a write after free
    expect(t.lookup(10)!.writtenAt).toBe(-1);
    expect(t.dirtyOverlapping(0, 100)).toBeUndefined();
  });

  test('noteWrite bounds are half open: start and end-1 count, start-1 and end do not', () => {
    const t = new BlockTable();
    t.allocated(10, 10, 14, 'm', LIBC);
    t.released(10, 'PyMem_Free');
    t.noteWrite(9);
    t.noteWrite(14);
    expect(t.lookup(10)!.writtenAt).toBe(-1);
    expect(t.dirtyOverlapping(0, 100)).toBeUndefined();
    t.noteWrite(13);
    expect(t.lookup(10)!.writtenAt).toBe(13);

    const u = new BlockTable();
    u.allocated(10, 10, 14, 'm', LIBC);
    u.released(10, 'PyMem_Free');
    u.noteWrite(10);
    expect(u.lookup(10)!.writtenAt).toBe(10);
  });

  test('writtenAt is the first write after free only, even when that write was at address 0', () => {
    const t = new BlockTable();
    t.allocated(10, 10, 14, 'm', LIBC);
    t.released(10, 'PyMem_Free');
    t.noteWrite(12);
    t.noteWrite(10);
    t.noteWrite(13);
    expect(t.lookup(10)!.writtenAt).toBe(12);

    const z = new BlockTable();
    z.allocated(0, 0, 4, 'r', LIBC);
    z.released(0, 'PyMem_RawFree');
    z.noteWrite(0);
    z.noteWrite(2);
    expect(z.lookup(0)!.writtenAt).toBe(0);
  });

  test('writes while nothing is freed, or into live memory, are not writes after free', () => {
    const t = new BlockTable();
    t.allocated(10, 10, 14, 'm', LIBC);
    t.noteWrite(11);
    expect(t.lookup(10)!.writtenAt).toBe(-1);
    t.released(10, 'PyMem_Free');
    expect(t.lookup(10)!.writtenAt).toBe(-1);
    expect(t.dirtyOverlapping(10, 14)).toBeUndefined();
  });

  // A freed block [0, 12) and a live block [4, 8) inside it (allocated before the free, so
  // nothing was superseded).
  function liveInsideFreed(): BlockTable {
    const t = new BlockTable();
    t.allocated(1, 0, 12, 'm', LIBC);
    t.allocated(5, 4, 8, 'm', LIBC);
    t.released(1, 'PyMem_Free');
    expect(t.lookup(1)).toMatchObject({ live: false, superseded: false });
    return t;
  }

  test('a write inside a live block that overlaps a freed one is not a write after free', () => {
    const t = liveInsideFreed();
    t.noteWrite(4); // the live block's first byte
    t.noteWrite(7); // its last byte
    expect(t.lookup(1)!.writtenAt).toBe(-1);
    expect(t.dirtyOverlapping(0, 12)).toBeUndefined();
  });

  test('just outside the live block, the same write is a write after free (below it)', () => {
    const t = liveInsideFreed();
    t.noteWrite(3);
    expect(t.lookup(1)!.writtenAt).toBe(3);
  });

  test('just outside the live block, the same write is a write after free (at its end)', () => {
    const t = liveInsideFreed();
    t.noteWrite(8);
    expect(t.lookup(1)!.writtenAt).toBe(8);
    expect(t.dirtyOverlapping(0, 1)).toBe(t.lookup(1));
  });

  test('a write lands in every freed block that holds the address', () => {
    const t = new BlockTable();
    t.allocated(1, 0, 8, 'm', LIBC);
    t.allocated(2, 4, 12, 'o', LIBC);
    t.released(1, 'PyMem_Free');
    t.released(2, 'PyObject_Free');
    t.noteWrite(5);
    expect(t.lookup(1)!.writtenAt).toBe(5);
    expect(t.lookup(2)!.writtenAt).toBe(5);
    t.noteWrite(9);
    expect(t.lookup(1)!.writtenAt).toBe(5);
    expect(t.lookup(2)!.writtenAt).toBe(5);
  });

  test('dirtyOverlapping returns the block written first, or, for one write, the one freed first', () => {
    // Freed in the order B then A; A written first.
    const t = new BlockTable();
    t.allocated(1, 0, 4, 'm', LIBC); // A
    t.allocated(5, 4, 8, 'm', LIBC); // B
    t.released(5, 'PyMem_Free');
    t.released(1, 'PyMem_Free');
    t.noteWrite(2);
    t.noteWrite(6);
    expect(t.dirtyOverlapping(0, 8)).toBe(t.lookup(1));
    expect(t.dirtyOverlapping(4, 8)).toBe(t.lookup(5));

    // Both dirtied by one write: the order they were freed in decides.
    const u = new BlockTable();
    u.allocated(1, 0, 8, 'm', LIBC); // A
    u.allocated(2, 4, 12, 'm', LIBC); // B
    u.released(2, 'PyMem_Free');
    u.released(1, 'PyMem_Free');
    u.noteWrite(5);
    expect(u.dirtyOverlapping(0, 12)).toBe(u.lookup(2));
    expect(u.dirtyOverlapping(0, 4)).toBe(u.lookup(1));
    expect(u.dirtyOverlapping(8, 12)).toBe(u.lookup(2));
  });

  // One dirty block [4, 8).
  function dirty48(): BlockTable {
    const t = new BlockTable();
    t.allocated(4, 4, 8, 'm', LIBC);
    t.released(4, 'PyMem_Free');
    t.noteWrite(6);
    return t;
  }

  test('dirtyOverlapping: half-open bounds and the zero-length rule', () => {
    const t = dirty48();
    const r = t.lookup(4)!;
    expect(t.dirtyOverlapping(0, 4)).toBeUndefined(); // ends at its start
    expect(t.dirtyOverlapping(8, 12)).toBeUndefined(); // starts at its end
    expect(t.dirtyOverlapping(0, 5)).toBe(r);
    expect(t.dirtyOverlapping(7, 12)).toBe(r);
    expect(t.dirtyOverlapping(5, 6)).toBe(r);
    expect(t.dirtyOverlapping(0, 100)).toBe(r);
    expect(t.dirtyOverlapping(2, 6)).toBe(r); // starts below, ends inside
    // zero length: [s, s) stands for the byte at s
    expect(t.dirtyOverlapping(4, 4)).toBe(r);
    expect(t.dirtyOverlapping(7, 7)).toBe(r);
    expect(t.dirtyOverlapping(3, 3)).toBeUndefined();
    expect(t.dirtyOverlapping(8, 8)).toBeUndefined();
  });

  // One freed (clean) block [4, 8) named 4; allocate [start, end) as p=50 and report
  // whether the freed block was superseded.
  function supersedes(start: number, end: number): boolean {
    const t = new BlockTable();
    t.allocated(4, 4, 8, 'm', LIBC);
    t.released(4, 'PyMem_Free');
    t.allocated(50, start, end, 'm', LIBC);
    return t.lookup(4)!.superseded;
  }

  test('allocated supersedes the freed blocks it overlaps: half-open bounds and the zero-length rule', () => {
    expect(supersedes(0, 4)).toBe(false);
    expect(supersedes(8, 12)).toBe(false);
    expect(supersedes(0, 5)).toBe(true);
    expect(supersedes(7, 12)).toBe(true);
    expect(supersedes(2, 6)).toBe(true);
    expect(supersedes(5, 6)).toBe(true);
    expect(supersedes(0, 20)).toBe(true);
    expect(supersedes(4, 4)).toBe(true);
    expect(supersedes(7, 7)).toBe(true);
    expect(supersedes(3, 3)).toBe(false);
    expect(supersedes(8, 8)).toBe(false);
  });

  test('a superseded block is no longer dirty and takes no more writes', () => {
    const t = dirty48();
    t.allocated(50, 6, 10, 'm', LIBC);
    expect(t.lookup(4)).toMatchObject({ superseded: true, writtenAt: 6 });
    expect(t.dirtyOverlapping(0, 100)).toBeUndefined();
    t.released(50, 'PyMem_Free');
    t.allocated(60, 100, 104, 'm', LIBC);
    t.noteWrite(5); // only in the superseded block
    expect(t.lookup(4)!.writtenAt).toBe(6);
    expect(t.dirtyOverlapping(0, 6)).toBeUndefined();
  });

  test('live blocks are not superseded by an overlapping allocation', () => {
    const t = new BlockTable();
    t.allocated(4, 4, 8, 'm', LIBC);
    t.allocated(50, 0, 20, 'm', LIBC);
    expect(t.lookup(4)).toMatchObject({ live: true, superseded: false });
  });

  test('re-allocating the same p forgets the old record', () => {
    // the old record was freed and dirty
    const t = dirty48();
    t.allocated(4, 20, 24, 'o', null);
    expect(t.lookup(4)).toEqual({ p: 4, start: 20, end: 24, api: 'o', owner: null, live: true, freedBy: '', writtenAt: -1, superseded: false });
    expect(t.dirtyOverlapping(0, 10)).toBeUndefined();

    // the old record was freed and clean: later writes into its range count for nobody
    const c = new BlockTable();
    c.allocated(4, 4, 8, 'm', LIBC);
    c.released(4, 'PyMem_Free');
    c.allocated(4, 20, 24, 'm', LIBC);
    c.noteWrite(5);
    expect(c.dirtyOverlapping(0, 10)).toBeUndefined();
    expect(c.lookup(4)!.writtenAt).toBe(-1);

    // the old record was live: its range no longer shields a freed block underneath
    const u = new BlockTable();
    u.allocated(1, 0, 12, 'm', LIBC); // F
    u.allocated(5, 4, 8, 'm', LIBC); // L
    u.released(1, 'PyMem_Free');
    u.allocated(5, 30, 34, 'm', LIBC); // L again, elsewhere
    u.noteWrite(6);
    expect(u.lookup(1)!.writtenAt).toBe(6);
  });

  test('resized of an unknown p does nothing', () => {
    const t = dirty48();
    expect(() => t.resized(99, 0, 10)).not.toThrow();
    expect(t.lookup(99)).toBeUndefined();
    expect(t.lookup(4)).toMatchObject({ live: false, superseded: false, writtenAt: 6 });
    expect(t.dirtyOverlapping(4, 8)).toBe(t.lookup(4));
  });

  test('resized moves a live block to its new range, keeping api and owner', () => {
    const t = new BlockTable();
    t.allocated(10, 10, 20, 'o', LIBC);
    t.resized(10, 10, 12);
    const r = t.lookup(10)!;
    expect(r).toEqual({ p: 10, start: 10, end: 12, api: 'o', owner: LIBC, live: true, freedBy: '', writtenAt: -1, superseded: false });
    expect(r.owner).toBe(LIBC);
    t.released(10, 'PyObject_Free');
    t.noteWrite(15); // in the old range only
    expect(t.lookup(10)!.writtenAt).toBe(-1);
    t.noteWrite(11);
    expect(t.lookup(10)!.writtenAt).toBe(11);
  });

  test('a block grown in place supersedes the freed block it now covers', () => {
    const t = new BlockTable();
    t.allocated(20, 20, 24, 'm', LIBC);
    t.released(20, 'PyMem_Free');
    t.allocated(10, 10, 14, 'm', LIBC);
    t.resized(10, 10, 22);
    expect(t.lookup(20)).toMatchObject({ superseded: true });
  });

  test('relative(): p+K and p-K', () => {
    expect(relative(13, 10)).toBe('p+3');
    expect(relative(10, 10)).toBe('p+0');
    expect(relative(9, 10)).toBe('p-1');
    expect(relative(0x1000, 0x1010)).toBe('p-16');
    expect(relative(0x1010 + 40, 0x1010)).toBe('p+40');
  });
});
