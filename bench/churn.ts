/**
 * `npm run bench`: ns per operation of a malloc/free churn through PyObject_Malloc /
 * PyObject_Free, on our optimized model (src/) and on the reference spec (spec/), timed
 * in the same run on the same request stream; prints both and their ratio.
 */
import { ModelImplementation } from '../src/implementation.ts';
import { Heap } from '../spec/heap.ts';
import { prng } from '../properties/test-os.ts';

const OPS = Number(process.env.BENCH_OPS ?? 400_000);
const ROUNDS = 5;

/** A fixed stream: op k is a malloc of sizes[k] (>0) or a free of live slot frees[k]. */
function stream(): { sizes: Int32Array; slots: Int32Array } {
  const rand = prng(42);
  const sizes = new Int32Array(OPS);
  const slots = new Int32Array(OPS);
  let live = 0;
  for (let k = 0; k < OPS; k++) {
    if (live > 0 && (rand() < 0.5 || live > 20000)) {
      sizes[k] = 0;
      slots[k] = Math.floor(rand() * live);
      live--;
    } else {
      sizes[k] = rand() < 0.9 ? 1 + Math.floor(rand() * 512) : 513 + Math.floor(rand() * 2000);
      live++;
    }
  }
  return { sizes, slots };
}

function run(malloc: (n: number) => number, free: (p: number) => void, s: { sizes: Int32Array; slots: Int32Array }): number {
  const live = new Float64Array(OPS);
  let n = 0;
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < OPS; k++) {
    const size = s.sizes[k];
    if (size > 0) live[n++] = malloc(size);
    else {
      const i = s.slots[k];
      free(live[i]);
      live[i] = live[--n];
    }
  }
  return Number(process.hrtime.bigint() - t0) / OPS;
}

const s = stream();
const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1];
const model: number[] = [];
const spec: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const m = new ModelImplementation({ mode: 'pymalloc' });
  model.push(run((n) => m.rt.malloc('o', n), (p) => m.rt.free('o', p), s));
  const h = new Heap();
  spec.push(run((n) => h.malloc('o', BigInt(n)), (p) => h.free('o', p), s));
}
const a = median(model);
const b = median(spec);
console.log(`malloc/free churn, ${OPS} ops, median of ${ROUNDS} rounds`);
console.log(`  src/  (pymalloc model)  ${a.toFixed(1).padStart(8)} ns/op`);
console.log(`  spec/ (reference heap)  ${b.toFixed(1).padStart(8)} ns/op`);
console.log(`  ratio spec/src          ${(b / a).toFixed(2).padStart(8)}x`);
