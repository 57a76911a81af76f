/**
 * Alignment, at its two levels (spec/rules.ts):
 *   contract  C23 7.24.3: a block of n bytes is aligned for every object type of
 *             fundamental alignment whose size is at most n: the largest power of two
 *             not above n, capped at 16 (alignof(max_align_t) on x86-64). A 0-byte
 *             request counts as 1 byte ("as if PyMem_RawMalloc(1) had been called").
 *   cpython   CPython 3.11 on x86-64 with glibc: every block is 16-byte aligned
 *             (pymalloc's ALIGNMENT and glibc's MALLOC_ALIGNMENT; recorded in
 *             fixtures/conformance/alignment.json).
 */

/** bytes: alignof(max_align_t) on x86-64, the most any fundamental type needs. */
export const MAX_FUNDAMENTAL_ALIGNMENT = 16;
/** bytes: what CPython 3.11 on glibc gives every block (the cpython level). */
export const REQUIRED_ALIGNMENT = 16;

/** The cpython-level rule: 16-byte aligned. */
export function isAligned(addr: number): boolean {
  return addr % REQUIRED_ALIGNMENT === 0;
}

/** The alignment C23 asks of a block of `n` bytes (1, 2, 4, 8 or 16). */
export function contractAlignment(n: number): number {
  let a = 1;
  while (a * 2 <= n && a < MAX_FUNDAMENTAL_ALIGNMENT) a *= 2;
  return a;
}

/** The alignment an address has: the largest power of two dividing it, at most 16. */
export function alignmentOf(addr: number): number {
  let a = 1;
  while (a < MAX_FUNDAMENTAL_ALIGNMENT && addr % (a * 2) === 0) a *= 2;
  return a;
}
