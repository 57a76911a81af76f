/**
 * End to end: record a fresh trace of the machine's CPython 3.11 with tools/bin/pytrace
 * (built on first use) and replay it with its statistics. Skipped, with the reason in the
 * test name, when CPython 3.11 headers or a shared libpython are not available.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ensurePytrace, PYTRACE, recordCommand } from '../../src/cli/record.ts';
import { checkTrace } from '../../src/trace/checker.ts';
import { readStatsFile, replayTrace } from '../../src/trace/replay.ts';
import { captureIo, ROOT } from './helpers.ts';

function recorderUnavailable(): string | null {
  if (existsSync(PYTRACE)) return null;
  const py = spawnSync('python3', ['-c', 'import sys, sysconfig, os; v = sys.version_info; inc = sysconfig.get_paths()["include"]; lib = os.path.join(sysconfig.get_config_var("LIBDIR") or "", "libpython%d.%d.so" % v[:2]); print("ok" if v[:2] == (3, 11) and os.path.exists(os.path.join(inc, "Python.h")) and os.path.exists(lib) else "no")'], { encoding: 'utf8' });
  if (py.error || py.stdout.trim() !== 'ok') return 'python3.11 headers/libpython absent';
  return ensurePytrace();
}

const why = recorderUnavailable();
const tmp = mkdtempSync(join(tmpdir(), 'objimpl-record-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SCRIPT = `
import ctypes, random
try:
    mark = ctypes.CDLL(None).pytrace_mark
except AttributeError:
    mark = lambda b: None
r = random.Random(5)
xs = [bytes(r.randrange(0, 700)) for _ in range(20000)]
mark(b"built")
del xs[::3]
ys = [bytearray(r.randrange(1, 300)) for _ in range(3000)]
for y in ys:
    y.extend(b"x" * r.randrange(0, 600))
mark(b"grown")
del xs, ys
`;

test.skipIf(why !== null)(
  why === null ? 'records a fresh trace with python3 and replays it: zero mismatches, stats match' : `SKIPPED record-and-replay: ${why}`,
  async () => {
    const script = join(tmp, 'w.py');
    writeFileSync(script, SCRIPT);
    const out = join(tmp, 'fresh.trace.gz');
    const stats = join(tmp, 'fresh.stats');
    const io = captureIo();
    const code = await recordCommand([out, '--stats', stats, '--', script], io);
    // The one line a successful record prints (stderr: stdout is the program's).
    expect(io.err).toMatch(/^objimpl record: \S*fresh\.trace\.gz: [\d,]+ bytes written; the program exited with status 0\n$/);
    expect(code).toBe(0);
    const r = await replayTrace(out, { stats: readStatsFile(stats) });
    expect(r.mismatch).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.resultsCompared).toBeGreaterThan(20000);
    expect(r.checkpoints).toEqual({ compared: 3, matched: 3, total: 3 });
    const c = await checkTrace(out);
    expect(c.violations).toEqual([]);
  },
);

/** recordCommand with PYTHONMALLOC set for the traced process. */
async function recordUnder(mode: string, args: string[]): Promise<{ code: number; err: string }> {
  const saved = process.env.PYTHONMALLOC;
  process.env.PYTHONMALLOC = mode;
  try {
    const io = captureIo();
    const code = await recordCommand(args, io);
    return { code, err: io.err };
  } finally {
    if (saved === undefined) delete process.env.PYTHONMALLOC;
    else process.env.PYTHONMALLOC = saved;
  }
}

test.skipIf(why !== null).each(['debug', 'malloc_debug'])(
  why === null ? 'records a fresh trace under PYTHONMALLOC=%s: checks clean, replays with zero mismatches' : `SKIPPED record-and-replay under %s: ${why}`,
  async (mode) => {
    const script = join(tmp, `w-${mode}.py`);
    writeFileSync(script, SCRIPT.replace('range(20000)', 'range(4000)'));
    const out = join(tmp, `fresh-${mode}.trace.gz`);
    const stats = join(tmp, `fresh-${mode}.stats`);
    const { code, err } = await recordUnder(mode, [out, '--stats', stats, '--', '-S', script]);
    expect(err).toMatch(/^objimpl record: \S+: [\d,]+ bytes written; the program exited with status 0\n$/);
    expect(code).toBe(0);
    const r = await replayTrace(out, { stats: readStatsFile(stats) });
    expect(r.mismatch).toBeUndefined();
    expect(r.header?.allocator).toBe(mode === 'debug' ? 'pymalloc_debug' : 'malloc_debug');
    expect(r.checkpoints).toEqual({ compared: 3, matched: 3, total: 3 });
    expect((await checkTrace(out)).violations).toEqual([]);
  },
);

test.skipIf(why !== null)(
  why === null ? 'a real misuse under PYTHONMALLOC=debug: the trace ends at the abort and check names the call' : `SKIPPED misuse recording: ${why}`,
  async () => {
    const out = join(tmp, 'misuse.trace.gz');
    const { code, err } = await recordUnder('debug', [out, '--', '-S', join(ROOT, 'fixtures/traces/src/debug_misuse.py'), 'family']);
    expect(code).toBe(134);
    expect(err).toMatch(/ends where the traced program was killed by SIGABRT \('# end \.\.\. reason=abort'\)/);
    const c = await checkTrace(out);
    expect(c.violations).toHaveLength(1);
    expect(c.violations[0].kind).toBe('family');
    expect(c.violations[0].message).toMatch(/the process aborted inside f m /);
    const r = await replayTrace(out);
    expect(r.mismatch).toBeUndefined();
    expect(r.abort.reproduced).toBe(true);
  },
);
