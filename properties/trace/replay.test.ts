/**
 * Replaying the recorded CPython 3.11 fixture traces through our pymalloc: every result
 * address, every nested RAW/arena call and every statistics checkpoint must match. And
 * the replay must notice when they do not.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseTrace } from '../../src/trace/reader.ts';
import { parseStatsFile, readStatsFile, Replayer, ReplayInputError, replayTrace } from '../../src/trace/replay.ts';
import { FIXTURE_NAMES, FIXTURES, HEADER, trace } from './helpers.ts';

const fixture = (n: string): string => join(FIXTURES, `${n}.trace.gz`);
const statsOf = (n: string): string => join(FIXTURES, `${n}.stats`);

describe('fixture traces replay with zero mismatches', () => {
  test.each(FIXTURE_NAMES)('%s: every address, nested call and stats checkpoint matches', async (name) => {
    const stats = readStatsFile(statsOf(name));
    const r = await replayTrace(fixture(name), { stats });
    expect(r.mismatch).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.mismatches).toBe(0);
    const end = parseTrace(readFileSync(fixture(name))).end;
    expect(r.events).toBe(end.events);
    expect(r.memobjCalls + r.nestedServed + r.skipped).toBe(end.events);
    expect(r.resultsCompared).toBeGreaterThan(80000);
    expect(r.checkpoints.total).toBe(stats.length);
    expect(r.checkpoints.matched).toBe(stats.length);
    expect(r.allocatedBlocksChecked).toBe(true);
  });
});

/** The startup fixture as lines, to mutate. */
function startupLines(): string[] {
  return gunzipSync(readFileSync(fixture('startup'))).toString('latin1').split('\n');
}

describe('the replay notices a difference', () => {
  test('a wrong result address: first mismatch with line, expected/actual and a state dump', async () => {
    const lines = startupLines();
    const i = lines.findIndex((l, k) => k > 3000 && /^m o \d+ [0-9a-f]+$/.test(l));
    const parts = lines[i].split(' ');
    parts[3] = (parseInt(parts[3], 16) + 16).toString(16);
    lines[i] = parts.join(' ');
    const r = await replayTrace(Buffer.from(lines.join('\n')));
    expect(r.ok).toBe(false);
    expect(r.mismatch).toMatchObject({ kind: 'result', line: i + 1, event: lines[i], expected: parts[3] });
    expect(r.mismatch!.dump).toMatch(/usable_arenas \(head first\): #0 /);
    expect(r.mismatch!.dump).toMatch(/pool [0-9a-f]+ \(#\d+ of 6[34]\): szidx=/);
  });

  test('a nested call the model does not make the same way (radix node size)', async () => {
    const lines = startupLines();
    const i = lines.findIndex((l) => l.startsWith('c r 1 131072 '));
    lines[i] = lines[i].replace('131072', '131088');
    const r = await replayTrace(Buffer.from(lines.join('\n')));
    expect(r.mismatch).toMatchObject({ kind: 'nested', expected: expect.stringContaining(`line ${i + 1}: c r 1 131088`) });
    expect(r.mismatch!.actual).toMatch(/c r 1 131072/);
  });

  test('a recorded nested call the model never asks for', async () => {
    const t = trace(['m r 40 55b96faefb80 ^', 'm o 40 7f0000001030']);
    const r = await replayTrace(Buffer.from(t));
    expect(r.mismatch).toMatchObject({ kind: 'nested', line: 3 });
  });

  test('a nested call the trace does not record', async () => {
    const r = await replayTrace(Buffer.from(trace(['m o 40 7f0000001030'])));
    expect(r.mismatch).toMatchObject({ kind: 'nested', line: 2, expected: '(no nested call)' });
    expect(r.mismatch!.actual).toMatch(/^r r 0 768/);
  });

  test('statistics that differ are reported with the first differing line', async () => {
    const stats = readFileSync(statsOf('startup'), 'latin1').replace('# arenas reclaimed                 =                    1', '# arenas reclaimed                 =                    2');
    const r = await replayTrace(fixture('startup'), { stats: parseStatsFile(stats) });
    expect(r.mismatch).toMatchObject({ kind: 'stats', expected: expect.stringContaining('=                    2'), actual: expect.stringContaining('=                    1') });
    expect(r.mismatch!.reason).toMatch(/stats line 26/);
  });

  test('allocated_blocks of after-runmain is compared', async () => {
    const lines = startupLines().map((l) => l.replace('allocated_blocks=471', 'allocated_blocks=470'));
    const r = await replayTrace(Buffer.from(lines.join('\n')));
    expect(r.mismatch).toMatchObject({ kind: 'blocks', expected: '470', actual: '471' });
  });

  test('a truncated trace is rejected even after a mismatch', async () => {
    const lines = startupLines();
    const i = lines.findIndex((l, k) => k > 3000 && /^m o \d+ [0-9a-f]+$/.test(l));
    lines[i] = lines[i].replace(/ [0-9a-f]+$/, ' 10');
    await expect(replayTrace(Buffer.from(`${lines.slice(0, 50000).join('\n')}\n`))).rejects.toMatchObject({ name: 'TraceFormatError', line: 50000 });
  });
});

describe('inputs that cannot be replayed', () => {
  test.each([
    ['allocator=malloc', /allocator=malloc/],
    ['allocator=custom', /allocator=custom/],
    ['pre_hook_blocks=3', /not pristine/],
    ['ptr_bits=32', /64-bit/],
  ])('%s', async (field, reason) => {
    const key = field.split('=')[0];
    const header = HEADER.replace(new RegExp(`${key}=\\S*`), field);
    await expect(replayTrace(Buffer.from(trace([], { header })))).rejects.toMatchObject({ name: 'ReplayInputError', line: 1, reason: expect.stringMatching(reason) });
  });

  test('a top-level arena line that is not a 16 KiB chunk', async () => {
    await expect(replayTrace(Buffer.from(trace(['A 7f0000000000 1048576'])))).rejects.toBeInstanceOf(ReplayInputError);
  });

  test('a stats file that belongs to another trace', async () => {
    const stats = readStatsFile(statsOf('json_roundtrip'));
    await expect(replayTrace(fixture('churn'), { stats })).rejects.toMatchObject({ reason: expect.stringMatching(/does not match stats section/) });
    await expect(replayTrace(fixture('startup'), { stats: [...readStatsFile(statsOf('startup')), ...stats] })).rejects.toMatchObject({ reason: expect.stringMatching(/more than the trace has checkpoints/) });
  });

  test('top-level RAW lines and 16 KiB chunks are skipped', () => {
    const r = new Replayer();
    for (const e of parseTrace(trace(['m r 24 5636bdfcb0b0', 'A 7fb7fd7c5000 16384', 'f r 5636bdfcb0b0', 'X 7fb7fd7c5000 16384', 'f o 0'])).events) r.feed(e);
    expect(r.skipped).toBe(4);
    expect(r.memobjCalls).toBe(1);
    expect(r.mismatch).toBeNull();
  });
});
