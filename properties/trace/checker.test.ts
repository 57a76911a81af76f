/**
 * `objimpl check`: hand-written traces with exactly one violation each, the documented
 * RAW exceptions, and the fixtures (which are clean).
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkTrace } from '../../src/trace/checker.ts';
import { FIXTURE_NAMES, FIXTURES, trace } from './helpers.ts';

const check = (lines: string[]) => checkTrace(Buffer.from(trace(lines)));

/** A pymalloc-like prefix: arena, OBJ block at ...030 (56 bytes) and a MEM block. */
const PRE = [
  'r r 0 768 55b96faef560 ^',
  'A 7fc15a7c9000 1048576 ^',
  'c r 1 262144 7fc15a788010 ^',
  'c r 1 131072 7fc15a767010 ^',
  'm o 56 7fc15a7cc030',
  'm m 32 7fc15a7d0030',
  'm r 100 55b96faf0000',
];

describe('one violation each, with its line', () => {
  test.each<[string, string[], string, RegExp, number?]>([
    ['family: OBJ block freed through MEM', ['f m 7fc15a7cc030'], 'family', /OBJ block 7fc15a7cc030 \(line 6\) freed through MEM/],
    ['family: MEM block reallocated through OBJ', ['r o 7fc15a7d0030 40 7fc15a7d0030'], 'family', /MEM block .* reallocated through OBJ/],
    ['family: RAW block freed through OBJ', ['f o 55b96faf0000'], 'family', /RAW block .* freed through OBJ/],
    ['family: OBJ block freed through RAW', ['f r 7fc15a7cc030'], 'family', /OBJ block .* freed through RAW/],
    ['alignment', ['m o 24 7fc15a7cc078'], 'alignment', /not 16-byte aligned/],
    ['overlap with a live block of the same family', ['m o 16 7fc15a7cc040'], 'overlap', /overlaps the live OBJ block 7fc15a7cc030\+56 from line 6/],
    ['overlap by request size across families', ['m m 16 7fc15a7cc060'], 'overlap', /overlaps the live OBJ block/],
    ['overlap of a RAW block with a RAW-served MEM block', ['m r 600 55b96fb00000 ^', 'm m 600 55b96fb00000', 'm r 64 55b96fb00100'], 'overlap', /overlaps the live MEM block 55b96fb00000\+600/],
    ['overlap with a data-stack chunk', ['A 7fb7fd7c5000 16384', 'm m 600 7fb7fd7c6000'], 'overlap', /data-stack chunk/],
    ['RAW block inside an arena', ['m r 100 7fc15a7e0000'], 'overlap', /pymalloc arena 7fc15a7c9000/],
    ['free of a pointer never returned', ['f o 7fc15a7dd030'], 'unknown-pointer', /never returned/],
    ['free of an interior pointer', ['f o 7fc15a7cc040'], 'unknown-pointer', /middle of the live OBJ block/],
    ['double free', ['f o 7fc15a7cc030', 'f o 7fc15a7cc030'], 'freed-pointer', /already freed at line 9/],
    ['realloc of a freed pointer', ['f m 7fc15a7d0030', 'r m 7fc15a7d0030 64 7fc15a7d0030'], 'freed-pointer', /already freed/],
    ['X of an arena that is not live', ['X 7fc15a8c9000 1048576 ^', 'f o 7fc15a7cc030'], 'arena', /no live arena/, 9],
  ])('%s', async (_name, extra, kind, message, line) => {
    const r = await check([...PRE, ...extra]);
    expect(r.violations).toHaveLength(1);
    expect(r.violationCount).toBe(1);
    expect(r.ok).toBe(false);
    const v = r.violations[0];
    expect(v.kind).toBe(kind);
    expect(v.message).toMatch(message);
    expect(v.line).toBe(line ?? 1 + PRE.length + extra.length);
  });
});

describe('no violation', () => {
  test('the prefix itself, frees of NULL, realloc(NULL), in-place and moving reallocs', async () => {
    const r = await check([...PRE,
      'f o 0', 'f m 0', 'f r 0',
      'r o 7fc15a7cc030 50 7fc15a7cc030',
      'r o 0 20 7fc15a7cc070',
      'm r 1520 55b96faf1000 ^', 'r m 7fc15a7d0030 1520 55b96faf1000',
      'r r 55b96faf1000 3000 55b96faf2000 ^', 'r m 55b96faf1000 3000 55b96faf2000',
      'f r 55b96faf2000 ^', 'f m 55b96faf2000',
      'm r 0 55b96faf3000 ^', 'm o 0 55b96faf3000', 'f r 55b96faf3000 ^', 'f o 55b96faf3000',
      'r o 7fc15a7cc030 600 0',
      'm m 40 7fc15a7d0030',
    ]);
    expect(r.violations).toEqual([]);
    expect(r.liveAtEnd).toEqual({ r: 4, m: 1, o: 2 });
  });

  test('documented exception: RAW free/realloc of an unknown or freed pointer (uncaptured RAW calls)', async () => {
    const r = await check([...PRE, 'f r 55b96faf9000', 'r r 55b96faf8000 10 55b96faf8000', 'f r 55b96faf0000', 'f r 55b96faf0000']);
    expect(r.violations).toEqual([]);
    expect(r.notes.rawUnknown).toBe(3);
  });

  test('documented exception: a new block over a live RAW block (freed without a trace line)', async () => {
    const r = await check([...PRE, 'm r 100 55b96faf0010']);
    expect(r.violations).toEqual([]);
    expect(r.notes.rawPresumedFreed).toBe(1);
  });

  test.each(FIXTURE_NAMES)('fixture %s is clean', async (name) => {
    const r = await checkTrace(join(FIXTURES, `${name}.trace.gz`));
    expect(r.violations).toEqual([]);
  });
});
