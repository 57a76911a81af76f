/**
 * `objimpl verify`: the main job. Runs the model-based suite (spec/ vs src/) in the
 * non-debug PYTHONMALLOC modes and prints a short summary; on failure, the shrunk
 * counterexample, the seed and path, and the command that replays it.
 */
import type { AllocatorMode } from '../domains/allocator.ts';
import { checkSuite, suiteStats } from '../../properties/suite.ts';
import { choiceArg, helpText, intArg, parseArgs } from './args.ts';
import { VERIFY } from './commands.ts';
import { type Io } from './io.ts';

export async function verifyCommand(args: string[], io: Io): Promise<number> {
  const p = parseArgs(VERIFY, args);
  if (p.help) {
    io.stdout(helpText(VERIFY));
    return 0;
  }
  const opt = (name: string): string | undefined => { const v = p.opts.get(name); return typeof v === 'string' ? v : undefined; };
  const runsOpt = opt('--runs');
  const seedOpt = opt('--seed');
  const modeOpt = opt('--mode');
  const runs = runsOpt !== undefined ? intArg('verify', '--runs', runsOpt, 1) : 40;
  const seed = seedOpt !== undefined ? intArg('verify', '--seed', seedOpt) : undefined;
  const path = opt('--path');
  const json = p.opts.has('--json');
  const modes: AllocatorMode[] = modeOpt !== undefined ? [choiceArg('verify', '--mode', modeOpt, ['default', 'pymalloc', 'malloc'] as const)] : ['default', 'malloc'];
  const t0 = Date.now();
  const report: Array<{ mode: string; ok: boolean; runs: number; seed: number; path?: string; counterexample?: string; error?: string }> = [];
  for (const m of modes) {
    if (!json) io.progress(`verify: ${m} mode, ${runs} runs...`);
    const d = await checkSuite({ mode: m, numRuns: runs, ...(seed !== undefined ? { seed } : {}), ...(path !== undefined ? { path } : {}), arenaFailRate: m === 'default' ? 0 : 0.05 });
    const entry = { mode: m, ok: !d.failed, runs: d.numRuns, seed: d.seed };
    if (d.failed) {
      const cex = d.counterexample ? String(d.counterexample[1]) : '';
      report.push({ ...entry, path: d.counterexamplePath ?? undefined, counterexample: cex, error: errorLine(d.errorInstance) });
    } else report.push(entry);
  }
  const seconds = (Date.now() - t0) / 1000;
  const ok = report.every((r) => r.ok);
  if (json) {
    io.stdout(`${JSON.stringify({ ok, seconds, stats: suiteStats, modes: report }, null, 2)}\n`);
    return ok ? 0 : 1;
  }
  io.stdout(`objimpl verify: spec/ vs src/ (pymalloc, CPython 3.11 x86-64 model)\n`);
  for (const r of report) {
    io.stdout(`  ${r.mode.padEnd(8)} ${r.ok ? 'ok    ' : 'FAILED'} ${r.runs} runs, seed ${r.seed}\n`);
    if (!r.ok) {
      io.stdout(`    property: ${r.error}\n    counterexample (shrunk):\n`);
      r.counterexample!.split(',').forEach((c, k) => io.stdout(`      ${k + 1}. ${c.trim()}\n`));
      io.stdout(`    replay: npx objimpl verify --mode ${r.mode} --runs 1 --seed ${r.seed} --path "${r.path}"\n`);
    }
  }
  io.stdout(`  ${suiteStats.commands} commands, ${suiteStats.arenasAllocated} arenas made (${suiteStats.arenas63} with 63 pools, ${suiteStats.arenas64} with 64), ${suiteStats.arenasReleased} released; ${seconds.toFixed(1)} s\n`);
  io.stdout(ok ? 'all properties hold\n' : 'properties FAILED\n');
  return ok ? 0 : 1;
}

function errorLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n').find((l) => l.trim() !== '') ?? msg;
}
