/**
 * V8 settings for the long-running commands (replay, stats, gate) and the benches.
 *
 * The model's hot path is a chain of small functions (Runtime -> domain -> pymalloc ->
 * pool and radix-tree helpers). V8's default cumulative inlining budget (920 bytes of
 * bytecode per optimized function) stops short of inlining the whole chain into a caller's
 * loop; what is not inlined returns its address as a boxed heap number. A larger budget
 * takes about 30% off a malloc/free pair (`npm run bench:micro`). It must be set before
 * the hot functions are first optimized, so entry points call this first.
 */
import v8 from 'node:v8';

let done = false;

/** Raise V8's inlining budget, once per process. */
export function tuneV8(): void {
  if (done) return;
  done = true;
  v8.setFlagsFromString('--max-inlined-bytecode-size-cumulative=4000');
}
