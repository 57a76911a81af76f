/**
 * The size formulas of objimpl.h in 3.11 on x86-64, written out from the C definitions:
 *   _PyObject_SIZE(tp)        = tp_basicsize
 *   _PyObject_VAR_SIZE(tp, n) = _Py_SIZE_ROUND_UP(tp_basicsize + n * tp_itemsize, 8)
 * The sum is Py_ssize_t arithmetic, which wraps modulo 2^64 under -fwrapv; it is then
 * read as size_t, 7 is added (wrapping again) and the low three bits are cleared.
 */
export const PY_SSIZE_T_MAX = 2n ** 63n - 1n;
export const SIZE_T_MODULUS = 2n ** 64n;
/** sizeof(PyObject) and sizeof(PyVarObject). */
export const OBJECT_HEADER = 16n;
export const VAR_OBJECT_HEADER = 24n;
/** sizeof(PyGC_Head). */
export const GC_HEAD = 16n;

function wrap(x: bigint): bigint {
  return ((x % SIZE_T_MODULUS) + SIZE_T_MODULUS) % SIZE_T_MODULUS;
}

export function objectSize(basicsize: bigint): bigint {
  return basicsize;
}

export function varSize(basicsize: bigint, itemsize: bigint, nitems: bigint): bigint {
  const raw = wrap(basicsize + nitems * itemsize);
  const plus7 = wrap(raw + 7n);
  return plus7 - (plus7 % 8n);
}

/**
 * What PyObject_NewVar does with a size: no overflow check in 3.11, so a wrapped size
 * above PY_SSIZE_T_MAX fails with MemoryError (PyObject_Malloc refuses it), and a size
 * that wrapped to something small allocates a block that may be too small for the
 * header (`headerFits` false: CPython writes past the block).
 */
export type NewVarOutcome =
  | { kind: 'memory-error' }
  | { kind: 'allocates'; size: bigint; headerFits: boolean };

/**
 * At which level PyObject_NewVar(tp, n)'s outcome is defined (spec/rules.ts):
 *   contract   0 <= n and tp_basicsize + n*tp_itemsize fits Py_ssize_t: the documented case;
 *   cpython    n < 0, or the sum overflows Py_ssize_t: signed overflow, which CPython's
 *              -fwrapv build turns into the wrapped size (recorded in fixtures/formulas.json);
 *   undefined  the wrapped size is below the 24-byte header: CPython itself writes the
 *              header past the block, so no outcome can be demanded.
 */
export type NewVarLevel = 'contract' | 'cpython' | 'undefined';

export function newVarLevel(basicsize: bigint, itemsize: bigint, nitems: bigint): NewVarLevel {
  const o = newVarOutcome(basicsize, itemsize, nitems);
  if (o.kind === 'allocates' && !o.headerFits) return 'undefined';
  if (nitems < 0n || basicsize + nitems * itemsize > PY_SSIZE_T_MAX) return 'cpython';
  return 'contract';
}

export function newVarOutcome(basicsize: bigint, itemsize: bigint, nitems: bigint): NewVarOutcome {
  const size = varSize(basicsize, itemsize, nitems);
  if (size > PY_SSIZE_T_MAX) return { kind: 'memory-error' };
  return { kind: 'allocates', size, headerFits: size >= VAR_OBJECT_HEADER };
}
