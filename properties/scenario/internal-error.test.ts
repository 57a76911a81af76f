/**
 * `objimpl run` when the model itself fails (a bug, not a user error): exit 70 and one
 * "internal error" report on stderr, never an unhandled exception. The runner is
 * replaced by one that throws, as no valid scenario makes the real one fail.
 */
import { expect, test, vi } from 'vitest';

const thrown: { value: unknown } = { value: undefined };
vi.mock('../../src/scenario/runner.ts', () => ({
  runScenario: () => {
    throw thrown.value;
  },
}));

const { runCommand, EXIT_INTERNAL } = await import('../../src/cli/run.ts');

async function run(): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await runCommand(['-'], {
    stdout: { write: (c: Uint8Array | string) => { out += String(c); } },
    stderr: { write: (c: Uint8Array | string) => { err += typeof c === 'string' ? c : new TextDecoder().decode(c); } },
    stdin: (async function* () { yield '{"mode":"debug","steps":[]}'; })(),
  });
  return { status, out, err };
}

test('an Error: exit 70, its stack on stderr after "internal error:"', async () => {
  const e = new Error('model broke');
  thrown.value = e;
  const r = await run();
  expect(EXIT_INTERNAL).toBe(70);
  expect(r.status).toBe(70);
  expect(r.out).toBe('');
  expect(r.err).toBe(`objimpl run: internal error: ${e.stack}\n`);
  expect(r.err.startsWith('objimpl run: internal error: Error: model broke\n    at ')).toBe(true);
});

test('an Error without a stack: its message', async () => {
  const e = new Error('no stack here');
  e.stack = undefined;
  thrown.value = e;
  expect((await run()).err).toBe('objimpl run: internal error: no stack here\n');
});

test('something that is not an Error: its string form', async () => {
  thrown.value = 42;
  const r = await run();
  expect(r).toEqual({ status: 70, out: '', err: 'objimpl run: internal error: 42\n' });
});
