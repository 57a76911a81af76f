/**
 * pymalloc's own RAW traffic against a recording of the real CPython 3.11.7: the fixture
 * `many_arenas` (fixtures/traces/src/many_arenas.py, recorded with `npx objimpl record`)
 * holds more than 32 arenas at once, so the arena-object vector is made (16 entries) and
 * grows twice through PyMem_RawRealloc. The replay serves the recorded nested RAW and
 * arena lines to our model in order and fails on any nested call made differently (kind,
 * size, order), so this pins the vector growth and the radix-node callocs as CPython
 * makes them; the checks below make sure the recording really holds that traffic.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { readStatsFile, replayTrace } from '../../src/trace/replay.ts';

const FIXTURES = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'fixtures/traces');
const TRACE = join(FIXTURES, 'many_arenas.trace.gz');
const STATS = join(FIXTURES, 'many_arenas.stats');

/** The recorded lines. */
function recordedLines(): string[] {
  return gunzipSync(readFileSync(TRACE)).toString('latin1').split('\n');
}

describe('many_arenas.trace.gz (CPython 3.11.7, more than 32 arenas live)', () => {
  test('the recording holds the vector growth 16 -> 32 -> 64 and more than 32 live arenas', () => {
    const lines = recordedLines();
    let live = 0;
    let maxLive = 0;
    const vector: string[] = [];
    for (const l of lines) {
      const f = l.split(' ');
      if (f[0] === 'A' && f[2] === '1048576') maxLive = Math.max(maxLive, ++live);
      if (f[0] === 'X' && f[2] === '1048576') live--;
      if (f[0] === 'r' && f[1] === 'r' && f[5] === '^' && /^(768|1536|3072|6144)$/.test(f[3])) vector.push(`${f[3]}:${f[2] === '0' ? 'new' : 'grown'}`);
    }
    expect(maxLive).toBeGreaterThan(32);
    expect(vector).toEqual(['768:new', '1536:grown', '3072:grown']);
  });

  test('each vector growth is nested in a MEM/OBJ call, right before that call\'s new arena mmap', () => {
    const lines = recordedLines();
    for (const size of ['768', '1536', '3072']) {
      const i = lines.findIndex((l) => /^r r [0-9a-f]+ (\d+) [0-9a-f]+ \^$/.test(l) && l.split(' ')[3] === size);
      expect(i).toBeGreaterThan(0);
      expect(lines[i + 1]).toMatch(/^A [0-9a-f]+ 1048576 \^$/);
    }
  });

  test('replays with zero mismatches: every address, every nested RAW/arena call, every stats checkpoint', async () => {
    const stats = readStatsFile(STATS);
    const r = await replayTrace(TRACE, { stats });
    expect(r.mismatch).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.nestedServed).toBeGreaterThan(1000);
    expect(r.checkpoints.matched).toBe(stats.length);
    expect(r.checkpoints.total).toBe(4);
    expect(r.allocatedBlocksChecked).toBe(true);
  });
});
