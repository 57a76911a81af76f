/**
 * `objimpl main` (npm start): the main job on built-in defaults.
 *  1. spec vs our optimized model, in-process (`objimpl verify`, short);
 *  2. the gate against our model as a subprocess (so the protocol is exercised), and,
 *     where python3 is CPython 3.11, against the real interpreter through ctypes, plain
 *     and under PYTHONMALLOC=debug;
 * then a table of properties by implementation. Exit 0 when everything holds.
 */
import { spawnSync } from 'node:child_process';
import { runGate, type GateResult } from '../gate/runner.ts';
import { helpText, intArg, parseArgs } from './args.ts';
import { MAIN } from './commands.ts';
import { COMPILED, packageRoot, type Io } from './io.ts';
import { verifyCommand } from './verify.ts';

const ROOT = `${packageRoot()}/`;
/** Our model as a gate protocol v1 subprocess: compiled under dist/, else through tsx. */
const MODEL_ADAPTER = COMPILED
  ? `node ${JSON.stringify(`${ROOT}dist/tools/adapters/model-adapter.js`)}`
  : `node --import tsx ${JSON.stringify(`${ROOT}tools/adapters/model-adapter.ts`)}`;

function python311(): boolean {
  const r = spawnSync('python3', ['-c', 'import sys, ctypes; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'], { encoding: 'utf8' });
  return r.status === 0;
}

export async function mainJob(args: string[], io: Io): Promise<number> {
  const p = parseArgs(MAIN, args);
  if (p.help) {
    io.stdout(helpText(MAIN));
    return 0;
  }
  const runsOpt = p.opts.get('--runs');
  const runs = typeof runsOpt === 'string' ? intArg('main', '--runs', runsOpt, 1) : 10;
  const stage = (t: string): void => (io.stage ?? io.progress)(t);
  const t0 = Date.now();
  const quiet: Io = { stdout: () => {}, stderr: io.stderr, progress: io.progress };
  stage(`objimpl main: spec vs model (in-process), ${runs * 2} runs per mode...`);
  const verified = (await verifyCommand(['--runs', String(runs * 2)], quiet)) === 0;

  const impls: Array<{ label: string; command: string }> = [
    { label: 'model', command: MODEL_ADAPTER },
    { label: 'model+debug', command: `${MODEL_ADAPTER} --mode debug` },
  ];
  const haveCPython = python311();
  if (haveCPython) {
    impls.push({ label: 'cpython', command: `python3 ${JSON.stringify(`${ROOT}tools/adapters/cpython_ctypes.py`)}` });
    impls.push({ label: 'cpython+debug', command: `PYTHONMALLOC=debug python3 ${JSON.stringify(`${ROOT}tools/adapters/cpython_ctypes.py`)}` });
  }
  const results: Array<{ label: string; r: GateResult }> = [];
  for (const im of impls) {
    stage(`objimpl main: gate against ${im.label}, ${runs} run${runs === 1 ? '' : 's'} per property...`);
    results.push({ label: im.label, r: await runGate({ command: im.command, runs, keepGoing: true, cwd: ROOT, progress: io.progress }) });
  }

  const names = [...new Set(results.flatMap((x) => x.r.properties.map((p) => p.name)))];
  const w = Math.max(24, ...names.map((n) => n.length));
  const cell = (s: string): string => s.padEnd(15);
  io.stdout(`objimpl: CPython 3.11 object-memory API, x86-64 model\n\n`);
  io.stdout(`spec vs optimized model (in-process): ${verified ? 'all properties hold' : 'FAILED (run npx objimpl verify)'}\n\n`);
  io.stdout(`gate (protocol v1), ${runs} runs per property\n`);
  io.stdout(`${'property'.padEnd(w)}  ${results.map((x) => cell(x.label)).join('')}\n`);
  for (const n of names) {
    const row = results.map((x) => {
      const p = x.r.properties.find((q) => q.name === n);
      return cell(p === undefined ? '-' : p.verdict === 'pass' ? 'ok' : p.verdict === 'unsupported' || p.verdict === 'skipped' ? 'skip' : p.verdict);
    });
    io.stdout(`${n.padEnd(w)}  ${row.join('')}\n`);
  }
  io.stdout(`${'requests/s'.padEnd(w)}  ${results.map((x) => cell(String(Math.round(x.r.requests / Math.max(x.r.seconds, 1e-3))))).join('')}\n`);
  if (!haveCPython) io.stdout(`(real CPython skipped: python3 is not CPython 3.11 with ctypes)\n`);
  for (const x of results.filter((y) => !y.r.ok)) {
    for (const p of x.r.properties.filter((q) => q.status === 'failed')) {
      io.stdout(`\n${x.label}: ${p.name} failed: ${p.failure?.message ?? ''}\n  replay: ${p.replay ?? ''}\n`);
    }
  }
  const ok = verified && results.every((x) => x.r.ok);
  io.progress('');
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  io.stdout(ok ? `\nall implementations conform (${results.length} implementations, ${secs} s)\n` : `\nnot all implementations conform (${secs} s)\n`);
  return ok ? 0 : 1;
}
