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
import { BlockTable, type BlockRecord } from '../../src/debug/block-table.ts';
import { RefTable } from './block-table-reference.ts';

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

function view(r: BlockRecord | undefined) {
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

