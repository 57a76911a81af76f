/**
 * Traces recorded under the debug hooks (PYTHONMALLOC=debug, pymalloc_debug,
 * malloc_debug; fixtures/traces/debug_mix.<mode>.*, recorded from CPython 3.11.7 by
 * fixtures/traces/record.sh): `check` knows the hooks' block layout and reports nothing on
 * the clean recordings, but still finds a block freed through another family or freed
 * twice; `replay` reproduces every address and statistics checkpoint through our debug
 * hooks over our pymalloc (or the C library), and our hooks stop where CPython's would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { checkTrace } from '../../src/trace/checker.ts';
import { parseAbortedCall } from '../../src/trace/events.ts';
import { parseTrace } from '../../src/trace/reader.ts';
import { readStatsFile, replayTrace } from '../../src/trace/replay.ts';
import { FIXTURES, HEADER, trace } from './helpers.ts';

const MODES = ['debug', 'pymalloc_debug', 'malloc_debug'] as const;
const fixture = (m: string): string => join(FIXTURES, `debug_mix.${m}.trace.gz`);
const statsOf = (m: string): string => join(FIXTURES, `debug_mix.${m}.stats`);
const DEBUG_HEADER = HEADER.replace('allocator=pymalloc', 'allocator=pymalloc_debug').replace('PYTHONMALLOC=', 'PYTHONMALLOC=debug');

function linesOf(m: string): string[] {
  return gunzipSync(readFileSync(fixture(m))).toString('latin1').split('\n');
}

/** The lines joined again, with the `# end events=` count made right. */
function rejoin(lines: string[]): Buffer {
  const events = lines.filter((l) => l !== '' && !l.startsWith('#')).length;
  return Buffer.from(lines.map((l) => (l.startsWith('# end ') ? l.replace(/events=\d+/, `events=${events}`) : l)).join('\n'), 'latin1');
}

/** Index of the first top-level `f o X` (k > from) of a block that `m o N X` (N + 24 <= 512) made. */
function smallObjFree(lines: string[], from: number): number {
  const live = new Map<string, number>();
  for (let k = from; k < lines.length; k++) {
    const l = lines[k];
    let m = /^m o (\d+) ([0-9a-f]+)$/.exec(l);
    if (m !== null && !lines[k - 1].endsWith(' ^') && Number(m[1]) + 24 <= 512) live.set(m[2], k);
    m = /^f o ([0-9a-f]+)$/.exec(l);
    if (m !== null && live.has(m[1]) && !lines[k - 1].endsWith(' ^')) return k;
  }
  throw new Error('no small OBJ free found');
}

describe('recorded debug-hook traces: clean, and replayed address for address', () => {
  test.each(MODES)('%s: the header says what was recorded', (m) => {
    const header = parseTrace(readFileSync(fixture(m))).header;
    expect(header.allocator).toBe(m === 'malloc_debug' ? 'malloc_debug' : 'pymalloc_debug');
    expect(header.PYTHONMALLOC).toBe(m);
  });

  test.each(MODES)('%s: check reports no violation', async (m) => {
    const r = await checkTrace(fixture(m));
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.events).toBeGreaterThan(100000);
  });

  test.each(MODES)('%s: replay with --stats: zero mismatches, every checkpoint byte for byte', async (m) => {
    const stats = readStatsFile(statsOf(m));
    const r = await replayTrace(fixture(m), { stats });
    expect(r.mismatch).toBeUndefined();
    expect(r.ok).toBe(true);
    const end = parseTrace(readFileSync(fixture(m))).end;
    expect(r.events).toBe(end.events);
    expect(r.memobjCalls + r.nestedServed + r.skipped).toBe(end.events);
    expect(r.resultsCompared).toBeGreaterThan(50000);
    expect(stats.length).toBe(6);
    expect(r.checkpoints.matched).toBe(6);
    expect(r.allocatedBlocksChecked).toBe(true);
    // pymalloc_debug: pymalloc saw the hooks' 24 extra bytes; malloc_debug: no pymalloc at all.
    if (m === 'malloc_debug') expect(stats.every((s) => s.text === '')).toBe(true);
    else expect(r.nestedServed).toBeGreaterThan(1000);
  });

  test('the pymalloc_debug statistics are those of N + 24-byte blocks', () => {
    // 200-character strings (249 bytes) are 273 bytes with the hooks: class 17 (288), not 15 (256).
    const built = readStatsFile(statsOf('pymalloc_debug')).find((s) => s.label === 'mark small-built')!;
    const row = built.text.split('\n').find((l) => /^\s+17\s+288\s/.test(l))!;
    expect(Number(row.trim().split(/\s+/)[3])).toBeGreaterThan(6000);
  });
});

describe('real misuse in a debug-hook trace is still found', () => {
  const lines = linesOf('pymalloc_debug');

  test('an OBJ block freed through PyMem_Free: check says family, our hooks abort like CPython', async () => {
    const k = smallObjFree(lines, 2000);
    const bad = [...lines];
    bad[k] = bad[k].replace('f o ', 'f m ');
    const c = await checkTrace(rejoin(bad));
    expect(c.violations).toHaveLength(1);
    expect(c.violations[0]).toMatchObject({ line: k + 1, kind: 'family' });
    expect(c.violations[0].message).toMatch(/OBJ block [0-9a-f]+ \(line \d+\) freed through MEM/);
    const r = await replayTrace(rejoin(bad));
    expect(r.mismatch).toMatchObject({ kind: 'model-error', line: k + 1 });
    expect(r.mismatch!.reason).toMatch(/FatalError: bad ID: Allocated using API 'o', verified using API 'm'/);
  });

  test('a double free: check says freed-pointer; our hooks stop there too', async () => {
    const k = smallObjFree(lines, 5000);
    const bad = [...lines.slice(0, k + 1), lines[k], ...lines.slice(k + 1)];
    const c = await checkTrace(rejoin(bad));
    expect(c.violations).toHaveLength(1);
    expect(c.violations[0]).toMatchObject({ line: k + 2, kind: 'freed-pointer' });
    expect(c.violations[0].message).toMatch(new RegExp(`already freed at line ${k + 1}`));
    const r = await replayTrace(rejoin(bad));
    expect(r.mismatch).toMatchObject({ kind: 'model-error', line: k + 2 });
    // CPython's hooks would read the dead bytes (bad ID 0xdd); ours name it from their side table first.
    expect(r.mismatch!.reason).toMatch(/FatalError: double free: the block at p=0x[0-9a-f]+ was already freed by PyObject_Free/);
  });

  test('a RAW-served OBJ block (its nested RAW free kept) freed through PyMem_Free', async () => {
    const k = lines.findIndex((l, i) => i > 1000 && /^f o [0-9a-f]+$/.test(l) && lines[i - 1].startsWith('f r '));
    const bad = [...lines];
    bad[k] = bad[k].replace('f o ', 'f m ');
    const c = await checkTrace(rejoin(bad));
    expect(c.violations.map((v) => [v.line, v.kind])).toEqual([[k + 1, 'family']]);
  });

  test('a MEM block freed through PyMem_RawFree in malloc_debug', async () => {
    const md = linesOf('malloc_debug');
    const live = new Set<string>();
    let k = -1;
    for (let i = 3000; i < md.length && k < 0; i++) {
      const a = /^m m \d+ ([0-9a-f]+)$/.exec(md[i]);
      if (a !== null) live.add(a[1]);
      const f = /^f m ([0-9a-f]+)$/.exec(md[i]);
      if (f !== null && live.has(f[1])) k = i;
    }
    const bad = [...md];
    bad[k] = bad[k].replace('f m ', 'f r ');
    const c = await checkTrace(rejoin(bad));
    expect(c.violations.map((v) => [v.line, v.kind])).toEqual([[k + 1, 'family']]);
    // (replay skips top-level RAW lines, as for every allocator: check is the tool for this one)
  });
});

describe('the debug layout, line by line', () => {
  const check = (lines: string[], header = DEBUG_HEADER) => checkTrace(Buffer.from(trace(lines, { header })));
  const arena = ['r r 0 768 55b96faef570 ^', 'A 7fc15a7c9000 1048576 ^', 'c r 1 262144 7fc15a788020 ^', 'c r 1 131072 7fc15a767020 ^'];

  test('the RAW fallback of a 768-byte request (792 bytes at p-16) is the call itself, not a second block', async () => {
    const lines = [...arena, 'm o 56 7fc15a7cc040', 'm r 792 55b96faf0010 ^', 'm o 768 55b96faf0020', 'f r 55b96faf0010 ^', 'f o 55b96faf0020'];
    expect((await check(lines)).violations).toEqual([]);
    // Read without the debug layout, the same lines are two overlapping blocks.
    expect((await check(lines, HEADER)).violations[0]).toMatchObject({ line: 8, kind: 'overlap' });
  });

  test.each<[string, string[]]>([
    ['calloc', ['c r 1 1024 55b96faf0010 ^', 'c o 10 100 55b96faf0020', 'f r 55b96faf0010 ^', 'f o 55b96faf0020']],
    ['realloc of a RAW-served block', ['m r 1024 55b96faf0010 ^', 'm m 1000 55b96faf0020', 'r r 55b96faf0010 2024 55b96fb00010 ^', 'r m 55b96faf0020 2000 55b96fb00020']],
    ['realloc of a pymalloc block past the threshold', ['m m 100 7fc15a7cc040', 'm r 624 55b96faf0010 ^', 'r m 7fc15a7cc040 600 55b96faf0020', 'f r 55b96faf0010 ^', 'f m 55b96faf0020']],
    ['realloc(NULL) past the threshold', ['m r 624 55b96faf0010 ^', 'r o 0 600 55b96faf0020', 'f r 55b96faf0010 ^', 'f o 55b96faf0020']],
  ])('%s: folded into the outer line', async (_name, lines) => {
    const r = await check([...arena, ...lines]);
    expect(r.violations).toEqual([]);
    expect(r.liveAtEnd.r).toBe(3); // pymalloc's own: arena vector and two radix-tree nodes
  });

  test('a nested RAW line of another size is an allocator-internal block and may not overlap', async () => {
    const r = await check([...arena, 'm r 800 55b96faf0010 ^', 'm o 768 55b96faf0020']);
    expect(r.violations[0]).toMatchObject({ line: 7, kind: 'overlap' });
    expect(r.violations[0].message).toMatch(/decorated 55b96faf0010\+792/);
  });

  test("blocks whose data do not overlap but whose decorations do", async () => {
    // [p, p+8) and [p+16, p+24) are disjoint; with the hooks' 16 bytes before and 8 after they are not.
    const r = await check([...arena, 'm o 8 7fc15a7cc040', 'm o 8 7fc15a7cc050']);
    expect(r.violations.map((v) => [v.line, v.kind])).toEqual([[7, 'overlap']]);
    expect((await check([...arena, 'm o 8 7fc15a7cc040', 'm o 8 7fc15a7cc050'], HEADER)).violations).toEqual([]);
  });

  test('malloc_debug: a 0-byte block still has its 24 bytes', async () => {
    const h = DEBUG_HEADER.replace('allocator=pymalloc_debug', 'allocator=malloc_debug');
    const r = await check(['m o 0 55b96faf0010', 'm o 0 55b96faf0020'], h);
    expect(r.violations.map((v) => v.kind)).toEqual(['overlap']);
    expect((await check(['m o 0 55b96faf0010', 'm o 0 55b96faf0030'], h)).violations).toEqual([]);
  });
});

describe('recorded misuse: the debug hooks end the process, the trace says where', () => {
  const misuse = (w: string): string => join(FIXTURES, `debug_misuse.${w}.trace.gz`);
  const abortLine = (w: string): number => {
    const ls = gunzipSync(readFileSync(misuse(w))).toString('latin1').split('\n');
    return ls.findIndex((l) => l.startsWith('# abort in-call ')) + 1;
  };

  test.each<[string, string, number, RegExp]>([
    ['family', 'family', 134, /^family: f m [0-9a-f]+: OBJ block [0-9a-f]+ \(line \d+\) freed through MEM \(the process aborted inside f m [0-9a-f]+\)$/],
    ['double', 'freed-pointer', 139, /^freed-pointer: f m [0-9a-f]+: [0-9a-f]+ was already freed at line \d+ \(the process aborted inside f m/],
    ['overflow', 'aborted', 134, /^aborted: the process aborted inside f o [0-9a-f]+, a call on the live OBJ block [0-9a-f]+\+100 from line \d+/],
  ])('%s: check reports it at the abort line', async (w, kind, exitcode, message) => {
    const t = parseTrace(readFileSync(misuse(w)));
    expect(t.end).toMatchObject({ reason: 'abort', exitcode });
    const r = await checkTrace(misuse(w));
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ line: abortLine(w), kind });
    expect(`${r.violations[0].kind}: ${r.violations[0].message}`).toMatch(message);
  });

  test.each(['family', 'double'])('%s: replay matches up to the abort, and our hooks stop in the same call', async (w) => {
    const r = await replayTrace(misuse(w));
    expect(r.mismatch).toBeUndefined();
    expect(r.abort).toEqual({ line: abortLine(w), reproduced: true });
    expect(r.resultsCompared).toBeGreaterThan(20000);
  });

  test('overflow: the write past the block is not in the trace, so our hooks do not stop: a mismatch that says so', async () => {
    const r = await replayTrace(misuse('overflow'));
    expect(r.mismatch).toMatchObject({ kind: 'abort', line: abortLine('overflow') });
    expect(r.mismatch!.reason).toMatch(/ours did not/);
  });

  test('an abort comment the model can reproduce only when it is a misuse: a clean free is not one', async () => {
    const ls = gunzipSync(readFileSync(misuse('family'))).toString('latin1').split('\n');
    const k = ls.findIndex((l) => l.startsWith('# abort in-call '));
    // Point the aborted free at its own family: nothing wrong with it, so ours does not stop.
    ls[k] = ls[k].replace('in-call f m ', 'in-call f o ');
    const r = await replayTrace(Buffer.from(ls.join('\n'), 'latin1'));
    expect(r.mismatch).toMatchObject({ kind: 'abort', line: k + 1 });
    const c = await checkTrace(Buffer.from(ls.join('\n'), 'latin1'));
    expect(c.violations.map((v) => v.kind)).toEqual(['aborted']);
  });
});

describe('the `# abort in-call` call', () => {
  test.each<[string, object | null]>([
    ['f m 7f2ed2549ec0', { kind: 'f', domain: 'm', ptr: 0x7f2ed2549ec0 }],
    ['r o 7f00 100', { kind: 'r', domain: 'o', ptr: 0x7f00, size: 100, result: 0 }],
    ['m o 100', { kind: 'm', domain: 'o', size: 100, result: 0 }],
    ['c r 4 25', { kind: 'c', domain: 'r', nelem: 4, elsize: 25, result: 0 }],
    ['m o 1a', null], ['m o 1 2', null], ['c m 4', null], ['r o 7f00', null], ['f m 7f00 1', null],
    ['x o 10', null], ['f q 10', null], ['f m', null], ['(arena allocator)', null],
  ])('%s', (call, want) => {
    const e = parseAbortedCall(9, call);
    if (want === null) expect(e).toBeNull();
    else expect(e).toMatchObject({ line: 9, nested: false, thread: 0, ...want });
  });
});
