/** `objimpl run FILE|-` (src/cli/run.ts): streams, exit statuses and byte-exact stderr. */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCommand } from '../../src/cli/run.ts';
import { FIXTURE_DIR, loadFixtures, mask, truncate } from './fixture-lib.ts';

interface Captured { status: number; stdout: Uint8Array; stderr: Uint8Array }

async function run(args: string[], stdinText = ''): Promise<Captured> {
  const out: number[] = [];
  const err: number[] = [];
  const enc = new TextEncoder();
  const sink = (into: number[]) => ({
    write: (c: Uint8Array | string) => {
      into.push(...(typeof c === 'string' ? enc.encode(c) : c));
    },
  });
  const status = await runCommand(args, {
    stdout: sink(out),
    stderr: sink(err),
    stdin: (async function* () { yield stdinText; })(),
  });
  return { status, stdout: Uint8Array.from(out), stderr: Uint8Array.from(err) };
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('objimpl run', () => {
  test('a fixture file by path: stdout, masked stderr and status as recorded', async () => {
    const fx = loadFixtures().find((f) => f.name === 'debug__free_o_n40_underflow_pm3_pm2')!;
    const r = await run([join(FIXTURE_DIR, `${fx.name}.json`)]);
    expect(r.status).toBe(134);
    expect(text(r.stdout)).toBe(fx.expected.stdout);
    expect(mask(truncate(text(r.stderr))).masked).toBe(fx.expected.stderr_masked);
  });

  test('- reads the scenario from stdin; an ok path exits 0 with empty stderr', async () => {
    const r = await run(['-'], JSON.stringify({ mode: 'pymalloc_debug', steps: [
      { op: 'print', text: 'héllo ✓' }, { op: 'malloc', api: 'o', size: 10, as: 'p' }, { op: 'free', api: 'o', ptr: 'p' }] }));
    expect(r.status).toBe(0);
    expect(text(r.stdout)).toBe('héllo ✓\n');
    expect(r.stderr.length).toBe(0);
  });

  test('an API id byte is printed raw by %c, even a NUL or a byte >= 0x80', async () => {
    for (const v of [0, 0xdd]) {
      const r = await run(['-'], JSON.stringify({ mode: 'debug', steps: [
        { op: 'malloc', api: 'm', size: 4, as: 'p' }, { op: 'poke', ptr: 'p', offset: -8, value: v }, { op: 'free', api: 'm', ptr: 'p' }] }));
      expect(r.status).toBe(134);
      const head = Array.from(r.stderr.subarray(0, 60));
      const at = head.indexOf(0x27); // the quote before the id
      expect(r.stderr[at + 1]).toBe(v);
      expect(r.stderr[at + 2]).toBe(0x27);
    }
  });

  test('usage errors and unreadable files exit 2 with one line', async () => {
    for (const args of [[], ['a', 'b'], ['']]) {
      const r = await run(args);
      expect(r.status).toBe(2);
      expect(text(r.stderr)).toMatch(/^objimpl run: [^:\n]+: [^\n]+\n$/);
    }
    const r = await run(['/nonexistent/scenario.json']);
    expect(r.status).toBe(2);
    expect(text(r.stderr)).toBe('objimpl run: /nonexistent/scenario.json: cannot read: ENOENT\n');
  });
});
