/**
 * src/debug/block-table.ts by example: hand-computed results for every boundary of the
 * side table behind the undefined-behaviour reports (half-open ranges, first write only,
 * supersession, re-use of one pointer). The random comparison with a reference is in
 * block-table.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { BlockTable, relative } from '../../src/debug/block-table.ts';
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
