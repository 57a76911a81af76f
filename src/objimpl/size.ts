/**
 * The size formulas of objimpl.h, computed exactly as 3.11 compiles them on x86-64 with
 * -fwrapv: Py_ssize_t arithmetic wraps modulo 2^64, then _Py_SIZE_ROUND_UP rounds the
 * size_t result up to a multiple of 8. Sizes are bigints here because the interesting
 * values (negative or huge nitems) do not fit a double.
 */
const MASK64 = (1n << 64n) - 1n;

/** _PyObject_SIZE(tp): tp_basicsize, not rounded. */
export function _PyObject_SIZE(tp_basicsize: bigint): bigint {
  return tp_basicsize;
}

/** _PyObject_VAR_SIZE(tp, n): round_up_8((basicsize + n*itemsize) mod 2^64), as size_t. */
export function _PyObject_VAR_SIZE(tp_basicsize: bigint, tp_itemsize: bigint, nitems: bigint): bigint {
  // Wrapping once at the end is the same as wrapping the sum and then the +7.
  return ((tp_basicsize + nitems * tp_itemsize + 7n) & MASK64) & ~7n;
}
