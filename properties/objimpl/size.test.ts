/** Plain properties of the size formulas: src agrees with the spec, and the formula's shape. */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { varSize } from '../../spec/sizes.ts';
import { _PyObject_SIZE, _PyObject_VAR_SIZE } from '../../src/objimpl/size.ts';

const ssize = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const small = fc.bigInt({ min: 0n, max: 1n << 31n });

test('_PyObject_VAR_SIZE (src) equals the spec formula for every input', () => {
  fc.assert(fc.property(small, small, ssize, (b, i, n) => {
    expect(_PyObject_VAR_SIZE(b, i, n)).toBe(varSize(b, i, n));
  }));
});

test('_PyObject_VAR_SIZE is a multiple of 8, below 2^64, and the least such bound when nothing wraps', () => {
  fc.assert(fc.property(small, small, fc.bigInt({ min: 0n, max: 1n << 30n }), (b, i, n) => {
    const s = _PyObject_VAR_SIZE(b, i, n);
    expect(s % 8n).toBe(0n);
    expect(s >= 0n && s < 1n << 64n).toBe(true);
    const exact = b + n * i;
    expect(s >= exact && s - exact < 8n).toBe(true);
  }));
});

test('_PyObject_SIZE is tp_basicsize, not rounded', () => {
  fc.assert(fc.property(small, (b) => { expect(_PyObject_SIZE(b)).toBe(b); }));
});

test('wrap-around examples from the fact sheet (observed on 3.11.7)', () => {
  expect(_PyObject_VAR_SIZE(33n, 1n, -1n)).toBe(32n);
  expect(_PyObject_VAR_SIZE(33n, 1n, -40n)).toBe(0n);
  expect(_PyObject_VAR_SIZE(24n, 8n, 1n << 61n)).toBe(24n);
  expect(_PyObject_VAR_SIZE(24n, 8n, 1n << 60n)).toBe((1n << 63n) + 24n);
});
