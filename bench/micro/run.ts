/**
 * `npm run bench:micro [-- --runs N] [--json]`
 *
 * The malloc/free fast path alone, without a trace: each round mallocs N = 1000 blocks
 * of 16 + (i % 8) * 16 bytes through PyObject_Malloc, then frees them in a scattered
 * order; the first round is untimed, so pools are carved and caches warm. Three sides,
 * wall-clock ns per call, median of R runs, timed in the same run:
 *  - native: CPython 3.11's own pymalloc (tools/native-replay/native_micro.c);
 *  - ours: our model through Runtime.malloc/free ('o' domain, mode pymalloc);
 *  - ideal: bench/micro/ideal-kernel.ts, NOT an allocator: the same memory operations in
 *    the shape V8 compiles best, a floor for what JavaScript can do here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime } from '../../src/domains/runtime.ts';
import { IdealKernel } from './ideal-kernel.ts';
import { tuneV8 } from '../../src/jit-flags.ts';

// As the objimpl command and bench:replay do (src/jit-flags.ts).
tuneV8();

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const nativeBin = join(root, 'tools/native-replay/build/native-micro');
const N = 1000;
const ROUNDS = 1000;

const args = process.argv.slice(2);
let runs = 7;
let json = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Math.max(1, Number(args[++i]) | 0);
  else if (args[i] === '--json') json = true;
  else {
    process.stderr.write(`bench:micro: unknown argument ${args[i]}\n`);
    process.exit(2);
  }
}

const ptrs = new Float64Array(N);

// One loop per side, on purpose: a loop shared by both would see two receiver types at
// its call sites, and V8 would neither inline nor specialise them for either side.
function roundOurs(rt: Runtime): void {
  for (let i = 0; i < N; i++) ptrs[i] = rt.malloc('o', 16 + (i % 8) * 16);
  for (let i = N - 1; i >= 0; i--) rt.free('o', ptrs[(i * 7919) % N]);
}

function roundIdeal(k: IdealKernel): void {
  for (let i = 0; i < N; i++) ptrs[i] = k.malloc(16 + (i % 8) * 16);
  for (let i = N - 1; i >= 0; i--) k.free(ptrs[(i * 7919) % N]);
}

/** ns per call over ROUNDS rounds of `round`, after one untimed round. */
function time<T>(side: T, round: (side: T) => void): number {
  round(side);
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < ROUNDS; r++) round(side);
  return Number(process.hrtime.bigint() - t0) / (2 * N * ROUNDS);
}

if (!existsSync(nativeBin)) {
  const r = spawnSync('sh', [join(root, 'tools/native-replay/build.sh')], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`bench:micro: cannot build native-micro: ${(r.stderr || '').trim()}\n`);
    process.exit(2);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const ours: number[] = [];
const ideal: number[] = [];
const native: number[] = [];
for (let k = 0; k < runs; k++) {
  ours.push(time(new Runtime({ mode: 'pymalloc' }), roundOurs));
  const kernel = new IdealKernel();
  ideal.push(time(kernel, roundIdeal));
  if (kernel.live() !== 0) throw new Error('bench:micro: the ideal kernel lost track of its blocks');
  const n = spawnSync(nativeBin, [String(N), String(ROUNDS), '1'], { encoding: 'utf8' });
  if (n.status !== 0) throw new Error(`native-micro failed: ${n.stderr}`);
  native.push((JSON.parse(n.stdout.trim()) as { ns_per_op: number }).ns_per_op);
}
const row = { runs, native: median(native), ours: median(ours), ideal: median(ideal), oursRatio: 0, idealRatio: 0 };
row.oursRatio = row.ours / row.native;
row.idealRatio = row.ideal / row.native;
if (json) process.stdout.write(`${JSON.stringify(row, null, 2)}\n`);
else {
  process.stdout.write(`malloc/free fast path, wall-clock ns per call, median of ${runs} runs\n`);
  process.stdout.write(`native pymalloc      ${row.native.toFixed(1).padStart(6)}\n`);
  process.stdout.write(`ours (Runtime)       ${row.ours.toFixed(1).padStart(6)}   ${row.oursRatio.toFixed(2)}x native\n`);
  process.stdout.write(`ideal JS kernel      ${row.ideal.toFixed(1).padStart(6)}   ${row.idealRatio.toFixed(2)}x native (a floor, not an allocator)\n`);
}
