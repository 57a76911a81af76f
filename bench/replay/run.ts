/**
 * `npm run bench:replay [-- TRACE ...] [--runs N] [--no-keep-arenas] [--wall] [--json]`
 *
 * Times are process CPU time per call by default (robust when other jobs share the
 * machine); --wall uses the wall clock.
 *
 * Times the same request stream (the top-level MEM/OBJ calls of a pytrace v1 trace)
 * through our model and through CPython 3.11's own pymalloc (tools/native-replay, built
 * on first use), and prints ns per call for both and the ratio (medians of N runs).
 *
 * Both sides get the stream pre-parsed into arrays; parsing is not timed.
 *  - ours: a fresh Runtime per run (pymalloc pristine), after untimed warm-up runs (JIT);
 *    nested RAW/arena results served from typed arrays and checked, every result address
 *    compared (a run with a mismatch is reported and fails the bench);
 *  - native: a fresh process per run; its first pass starts from a pristine pymalloc
 *    ("native": the same starting state as ours, the figure the ratio uses); two more
 *    passes in the same process give "warm" (arenas and pools already there, caches hot).
 *    Requests above 512 bytes really go to glibc; arenas come from mmap or, with
 *    --keep-arenas (default), from a cache of freed arenas.
 * Runs of the two sides are interleaved so that machine noise hits both alike.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStream, writeNativeStream } from './stream.ts';
import { fastReplay } from './fast-replay.ts';
import { AddressSpace } from '../../src/memory/address-space.ts';
import { tuneV8 } from '../../src/jit-flags.ts';

// The same V8 inlining budget as the objimpl command (src/jit-flags.ts), set before
// anything is optimized.
tuneV8();

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const native = join(root, 'tools/native-replay/build/native-replay');

const args = process.argv.slice(2);
let runs = 9;
let keep = true;
let json = false;
let cpu = true;
const traces: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Math.max(1, Number(args[++i]) | 0);
  else if (args[i] === '--keep-arenas') keep = true;
  else if (args[i] === '--no-keep-arenas') keep = false;
  else if (args[i] === '--json') json = true;
  else if (args[i] === '--wall') cpu = false;
  else traces.push(args[i]);
}
if (traces.length === 0) traces.push(...['startup', 'json_roundtrip', 'churn', 'threads'].map((n) => join(root, `fixtures/traces/${n}.trace.gz`)));

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

if (!existsSync(native)) {
  const r = spawnSync('sh', [join(root, 'tools/native-replay/build.sh')], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`bench:replay: cannot build native-replay: ${(r.stderr || '').trim()}\n`);
    process.exit(2);
  }
}

interface Row { trace: string; calls: number; ours: number; oursMin: number; native: number; nativeWarm: number; ratio: number; ratioWarm: number }
const rows: Row[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'objimpl-bench-'));
try {
  if (!json) {
    process.stdout.write(`replay benchmark: ${cpu ? 'CPU' : 'wall-clock'} ns per MEM/OBJ call, median of ${runs} runs (${keep ? 'native caches freed arenas' : 'native uses mmap/munmap'})\n`);
    process.stdout.write(`${'trace'.padEnd(18)} ${'calls'.padStart(9)} ${'ours'.padStart(7)} ${'native'.padStart(7)} ${'ratio'.padStart(6)}   ${'native warm'.padStart(11)} ${'ratio'.padStart(6)}\n`);
  }
  for (const t of traces) {
    const s = await buildStream(t);
    const file = join(tmp, `${basename(t)}.objrpl`);
    writeNativeStream(s, file);
    const space = new AddressSpace();
    // Warm-up, untimed: JIT and backing store. At least 3 runs and 2 million calls, so
    // that short traces reach optimized code too.
    const warmups = Math.max(3, Math.ceil(2_000_000 / s.nops));
    for (let k = 0; k < warmups; k++) fastReplay(s, space);
    const ours: number[] = [];
    const pristine: number[] = [];
    const warm: number[] = [];
    for (let k = 0; k < runs; k++) {
      const r = fastReplay(s, space);
      if (r.mismatches > 0) {
        process.stderr.write(`bench:replay: ${t}: ${r.mismatches} mismatches (first at call ${r.firstMismatch}); run objimpl replay for details\n`);
        process.exitCode = 1;
      }
      ours.push(cpu ? r.cpuNsPerOp : r.nsPerOp);
      const n = spawnSync(native, [file, '--repeat', '3', ...(keep ? ['--keep-arenas'] : [])], { encoding: 'utf8' });
      if (n.status !== 0) throw new Error(`native-replay failed: ${n.stderr}`);
      const passes = n.stdout.trim().split('\n').map((l) => {
        const j = JSON.parse(l) as { ns_per_op: number; cpu_ns_per_op: number };
        return cpu ? j.cpu_ns_per_op : j.ns_per_op;
      });
      pristine.push(passes[0]);
      warm.push(Math.min(...passes.slice(1)));
    }
    const row: Row = {
      trace: basename(t).replace(/\.trace(\.gz)?$/, ''), calls: s.nops,
      ours: median(ours), oursMin: Math.min(...ours), native: median(pristine), nativeWarm: median(warm),
      ratio: 0, ratioWarm: 0,
    };
    row.ratio = row.ours / row.native;
    row.ratioWarm = row.ours / row.nativeWarm;
    rows.push(row);
    if (!json) {
      process.stdout.write(`${row.trace.padEnd(18)} ${String(row.calls).padStart(9)} ${row.ours.toFixed(1).padStart(7)} ${row.native.toFixed(1).padStart(7)} ${row.ratio.toFixed(2).padStart(6)}   ${row.nativeWarm.toFixed(1).padStart(11)} ${row.ratioWarm.toFixed(2).padStart(6)}\n`);
    }
  }
  const worst = Math.max(...rows.map((r) => r.ratio));
  if (json) process.stdout.write(`${JSON.stringify({ runs, keepArenas: keep, clock: cpu ? 'cpu' : 'wall', rows, worstRatio: worst }, null, 2)}\n`);
  else process.stdout.write(`worst ratio ${worst.toFixed(2)} (target <= 1.5)\n`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
