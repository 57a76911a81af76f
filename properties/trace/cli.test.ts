/**
 * The CLI functions: exit statuses 0 / 1 / 2, summaries, JSON, and one-line errors (never
 * a stack trace) for malformed or truncated traces.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { checkCommand } from '../../src/cli/check.ts';
import { UsageError } from '../../src/cli/io.ts';
import { replayCommand } from '../../src/cli/replay.ts';
import { statsCommand } from '../../src/cli/stats.ts';
import { recordCommand } from '../../src/cli/record.ts';
import { captureIo, FIXTURES, trace } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'objimpl-cli-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const startup = join(FIXTURES, 'startup.trace.gz');

function file(name: string, text: string | Buffer): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

describe('objimpl replay', () => {
  test('exit 0 and a summary when everything matches', async () => {
    const io = captureIo();
    expect(await replayCommand([startup, '--stats', join(FIXTURES, 'startup.stats')], io)).toBe(0);
    expect(io.out).toMatch(/169,197 events/);
    expect(io.out).toMatch(/82,300 pymalloc results compared, 0 mismatches/);
    expect(io.out).toMatch(/1 of 1 checkpoints matched/);
    expect(io.err).toBe('');
  });

  test('--json', async () => {
    const io = captureIo();
    expect(await replayCommand(['--json', startup], io)).toBe(0);
    const j = JSON.parse(io.out);
    expect(j).toMatchObject({ ok: true, events: 169197, mismatches: 0, resultsCompared: 82300, python: '3.11.7' });
  });

  test('exit 1 at the first mismatch, with line, expected and actual', async () => {
    const lines = gunzipSync(readFileSync(startup)).toString('latin1').split('\n');
    const i = lines.findIndex((l, k) => k > 1000 && /^m o \d+ [0-9a-f]+$/.test(l));
    lines[i] = lines[i].replace(/[0-9a-f]+$/, (h) => (parseInt(h, 16) + 32).toString(16));
    const io = captureIo();
    expect(await replayCommand([file('bad.trace', lines.join('\n'))], io)).toBe(1);
    expect(io.out).toContain(`first mismatch at line ${i + 1}: ${lines[i]}`);
    expect(io.out).toMatch(/expected \(CPython\): [0-9a-f]+\n {4}actual \(model\): {5}[0-9a-f]+/);
    expect(io.out).toMatch(/usable_arenas/);
  });

  test.each([
    ['truncated', trace(['m o 16 7f0000001030'], { end: false }), /:2: truncated: no '# end' line/],
    ['malformed', trace(['m o 16 7f0000001030', 'm o sixteen 7f0000001040']), /:3: bad size/],
    ['not a trace', 'hello\n', /:1: not a pytrace v1 trace/],
    ['custom allocator', trace([], { header: '# pytrace v1 python=3.11.7 hexversion=0x030b07f0 allocator=custom pre_hook_arenas=0 pre_hook_blocks=0 PYTHONMALLOC= PYTHONHASHSEED=0 aslr=on ptr_bits=64' }), /:1: cannot replay allocator=custom/],
  ])('exit 2, one line, no stack trace: %s', async (name, text, message) => {
    const io = captureIo();
    expect(await replayCommand([file(`${name}.trace`, text)], io)).toBe(2);
    expect(io.err).toMatch(message);
    expect(io.err.trim().split('\n')).toHaveLength(1);
    expect(io.err).not.toMatch(/ at |Error:/);
  });

  test('exit 2 for a missing file and for a truncated gzip', async () => {
    const io = captureIo();
    expect(await replayCommand([join(tmp, 'nope.trace')], io)).toBe(2);
    expect(io.err).toMatch(/no such file/);
    const gz = readFileSync(startup);
    const io2 = captureIo();
    expect(await replayCommand([file('cut.trace.gz', gz.subarray(0, 200000))], io2)).toBe(2);
    expect(io2.err).toMatch(/truncated\.trace\.gz|cut\.trace\.gz:\d+: corrupt or truncated gzip data/);
  });

  test('exit 2 when the stats file belongs to another trace', async () => {
    const io = captureIo();
    expect(await replayCommand([startup, '--stats', join(FIXTURES, 'churn.stats')], io)).toBe(2);
    expect(io.err).toMatch(/does not match stats section/);
  });

  test('usage errors are UsageError (exit 2 in main)', async () => {
    await expect(replayCommand([], captureIo())).rejects.toBeInstanceOf(UsageError);
    await expect(replayCommand([startup, '--frobnicate'], captureIo())).rejects.toBeInstanceOf(UsageError);
    await expect(replayCommand([startup, '--stats'], captureIo())).rejects.toBeInstanceOf(UsageError);
  });

  test('progress only through io.progress (which the entry point shows on a TTY only)', async () => {
    const io = captureIo();
    await replayCommand([join(FIXTURES, 'churn.trace.gz')], io);
    expect(io.progressed.length).toBeGreaterThan(0);
    expect(io.err).toBe('');
  });
});

describe('objimpl check', () => {
  test('exit 0 on a clean trace', async () => {
    const io = captureIo();
    expect(await checkCommand([startup], io)).toBe(0);
    expect(io.out).toMatch(/169,197 events, 0 violations/);
  });

  test('exit 1 with each violation on its own line', async () => {
    const io = captureIo();
    const p = file('v.trace', trace(['m o 16 7f0000001030', 'f m 7f0000001030', 'f o 7f0000002030']));
    expect(await checkCommand([p], io)).toBe(1);
    expect(io.out).toContain(`${p}:3: family: `);
    expect(io.out).toContain(`${p}:4: unknown-pointer: `);
    expect(io.out).toMatch(/2 violations/);
  });

  test('exit 2 on a truncated trace', async () => {
    const io = captureIo();
    expect(await checkCommand([file('t.trace', trace(['m o 16 7f0000001030'], { end: false }))], io)).toBe(2);
    expect(io.err).toMatch(/truncated/);
  });
});

describe('objimpl stats', () => {
  test('after a trace: exactly the recorded after-runmain section', async () => {
    const io = captureIo();
    expect(await statsCommand([startup], io)).toBe(0);
    expect(io.out).toBe(readFileSync(join(FIXTURES, 'startup.stats'), 'latin1').split('\n').slice(1).join('\n'));
  });

  test('a fresh model', async () => {
    const io = captureIo();
    expect(await statsCommand([], io)).toBe(0);
    expect(io.out).toMatch(/# arenas allocated current {9}= {20}0\n/);
  });
});

describe('objimpl record', () => {
  test('usage errors', async () => {
    await expect(recordCommand(['out.trace'])).rejects.toBeInstanceOf(UsageError);
    await expect(recordCommand(['out.trace', '--'])).rejects.toBeInstanceOf(UsageError);
    await expect(recordCommand(['--', '-c', 'pass'])).rejects.toBeInstanceOf(UsageError);
  });
});
