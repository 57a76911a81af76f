/**
 * Size classes: a request of 1..SMALL_REQUEST_THRESHOLD bytes maps to class
 * (n - 1) >> ALIGNMENT_SHIFT, whose blocks are INDEX2SIZE(class) bytes.
 * Mirrors the size computation at the top of pymalloc_alloc (obmalloc.c).
 */
import * as $constants from './constants.ts';

// Imported values as module-level constants, which V8 folds (see constants.ts).
const { ALIGNMENT_SHIFT, SMALL_REQUEST_THRESHOLD } = $constants;

/** True when pymalloc would serve a request of n bytes (1..512). */
export function isSmallRequest(n: number): boolean {
  return n > 0 && n <= SMALL_REQUEST_THRESHOLD;
}


/** Size class index of a small request; only meaningful when isSmallRequest(n). */
export function sizeClassOf(n: number): number {
  return (n - 1) >> ALIGNMENT_SHIFT;
}
