/**
 * `objimpl main` (npm start): the main job on built-in defaults.
 *  1. spec vs our optimized model, in-process (`objimpl verify`, short);
 *  2. the gate against our model as a subprocess (so the protocol is exercised), and,
 *     where python3 is CPython 3.11, against the real interpreter through ctypes, plain
 *     and under PYTHONMALLOC=debug;
 * then a table of properties by implementation. Exit 0 when everything holds.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runGate, type GateResult } from '../gate/runner.ts';
import { UsageError, type Io } from './io.ts';
import { verifyCommand } from './verify.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function python311(): boolean {
  const r = spawnSync('python3', ['-c', 'import sys, ctypes; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'], { encoding: 'utf8' });
  return r.status === 0;
}

export async function mainJob(args: string[], io: Io): Promise<number> {
  let runs = 10;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--runs' && args[i + 1] !== undefined && Number.isInteger(Number(args[i + 1])) && Number(args[i + 1]) > 0) runs = Number(args[++i]);
    else throw new UsageError(`main: unknown option ${args[i]} (main takes --runs N)`);
  }
  const quiet: Io = { stdout: () => {}, stderr: io.stderr, progress: io.progress };
  io.progress('spec vs model (in-process)...');
  const verified = (await verifyCommand(['--runs', String(runs * 2)], quiet)) === 0;

  const impls: Array<{ label: string; command: string }> = [
    { label: 'model', command: `node --import tsx ${JSON.stringify(`${ROOT}tools/adapters/model-adapter.ts`)}` },
    { label: 'model+debug', command: `node --import tsx ${JSON.stringify(`${ROOT}tools/adapters/model-adapter.ts`)} --mode debug` },
  ];
  const haveCPython = python311();
  if (haveCPython) {
    impls.push({ label: 'cpython', command: `python3 ${JSON.stringify(`${ROOT}tools/adapters/cpython_ctypes.py`)}` });
    impls.push({ label: 'cpython+debug', command: `PYTHONMALLOC=debug python3 ${JSON.stringify(`${ROOT}tools/adapters/cpython_ctypes.py`)}` });
  }
  const results: Array<{ label: string; r: GateResult }> = [];
  for (const im of impls) {
    io.progress(`gate: ${im.label}...`);
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
      return cell(p === undefined ? '-' : p.status === 'passed' ? 'ok' : p.status === 'skipped' ? 'skip' : 'FAIL');
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
  io.stdout(ok ? '\nall implementations conform\n' : '\nnot all implementations conform\n');
  return ok ? 0 : 1;
}
