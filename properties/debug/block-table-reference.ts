/**
 * Reference model of src/debug/block-table.ts for properties/debug/block-table.test.ts:
 * plain arrays, linear scans, every rule spelled out from the source's comments.
 */
import type { BlockRecord } from '../../src/debug/block-table.ts';

/** A record of the reference: the fields BlockTable exposes, plus the bookkeeping that orders them. */
export interface RefRecord extends BlockRecord {
  readonly id: number;
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
export function overlaps(r: { start: number; end: number }, start: number, end: number): boolean {
  const qEnd = end > start ? end : start + 1;
  return start < r.end && r.start < qEnd;
}

export function contains(r: { start: number; end: number }, addr: number): boolean {
  return r.start <= addr && addr < r.end;
}

export class RefTable {
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
