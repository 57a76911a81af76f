/**
 * The type-flag bits our objimpl layer tests (HEAPTYPE for the heap-type incref,
 * HAVE_GC and MANAGED_DICT for the pre-header) against CPython's own object.h on this
 * machine; skipped, saying so, where the headers are not installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { _PyType_PreHeaderSize, Py_TPFLAGS_HAVE_GC, Py_TPFLAGS_HEAPTYPE, Py_TPFLAGS_MANAGED_DICT } from '../../src/objimpl/type.ts';

const inc = spawnSync('python3', ['-c', "import sysconfig; print(sysconfig.get_paths()['include'])"], { encoding: 'utf8' }).stdout?.trim() ?? '';
const header = `${inc}/object.h`;
const have = inc !== '' && existsSync(header);

/** Evaluate `#define NAME (1UL << k)` / `(1 << k)` from the header text. */
function flag(text: string, name: string): number {
  const m = new RegExp(`#define\\s+${name}\\s+\\(1(?:UL)?\\s*<<\\s*(\\d+)\\)`).exec(text);
  if (m === null) throw new Error(`${name} not found in ${header}`);
  return 2 ** Number(m[1]);
}

test.skipIf(!have)(`type flags equal CPython's object.h (${have ? header : 'skipped: no python3 headers on this machine'})`, () => {
  const text = readFileSync(header, 'utf8');
  expect(Py_TPFLAGS_HEAPTYPE).toBe(flag(text, 'Py_TPFLAGS_HEAPTYPE'));
  expect(Py_TPFLAGS_HAVE_GC).toBe(flag(text, 'Py_TPFLAGS_HAVE_GC'));
  expect(Py_TPFLAGS_MANAGED_DICT).toBe(flag(text, 'Py_TPFLAGS_MANAGED_DICT'));
});

test('the pre-header is 16 bytes per GC head and per managed dict', () => {
  const t = (flags: number) => ({ address: 0, tp_basicsize: 16, tp_itemsize: 0, tp_flags: flags });
  expect(_PyType_PreHeaderSize(t(0))).toBe(0);
  expect(_PyType_PreHeaderSize(t(Py_TPFLAGS_HAVE_GC))).toBe(16);
  expect(_PyType_PreHeaderSize(t(Py_TPFLAGS_MANAGED_DICT))).toBe(16);
  expect(_PyType_PreHeaderSize(t(Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_MANAGED_DICT | Py_TPFLAGS_HEAPTYPE))).toBe(32);
});
