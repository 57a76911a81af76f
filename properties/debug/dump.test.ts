/** _PyObject_DebugDumpAddress text against the fact sheet's observed outputs (4.7). */
import { describe, expect, test } from 'vitest';
import { dumpAddress } from '../../src/debug/dump.ts';
import { fatalErrorText, FatalError, formatPointer } from '../../src/debug/fatal.ts';
import { debugRuntime, fatalOf } from './helpers.ts';

describe('dump text', () => {
  test('overflow: PyMem_Malloc(16); p[16] = "x"; PyMem_Free(p)', () => {
    const rt = debugRuntime('debug');
    const p = rt.malloc('m', 16);
    rt.space.store8(p + 16, 0x78);
    const e = fatalOf(() => rt.free('m', p));
    const P = formatPointer(p);
    const T = formatPointer(p + 16);
    expect(e.stderr).toBe(`Debug memory block at address p=${P}: API 'm'
    16 bytes originally requested
    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.
    The 8 pad bytes at tail=${T} are not all FORBIDDENBYTE (0xfd):
        at tail+0: 0x78 *** OUCH
        at tail+1: 0xfd
        at tail+2: 0xfd
        at tail+3: 0xfd
        at tail+4: 0xfd
        at tail+5: 0xfd
        at tail+6: 0xfd
        at tail+7: 0xfd
    Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd

Enable tracemalloc to get the memory block allocation traceback

Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte
Python runtime state: initialized

`);
  });

  test('underflow: PyObject_Malloc(40), data 00..27, p-3 and p-2 overwritten', () => {
    const rt = debugRuntime('debug');
    const p = rt.malloc('o', 40);
    rt.space.write(p, Uint8Array.from({ length: 40 }, (_, i) => i));
    rt.space.store8(p - 3, 1);
    rt.space.store8(p - 2, 2);
    const e = fatalOf(() => rt.free('o', p));
    expect(e.stderr).toBe(`Debug memory block at address p=${formatPointer(p)}: API 'o'
    40 bytes originally requested
    The 7 pad bytes at p-7 are not all FORBIDDENBYTE (0xfd):
        at p-7: 0xfd
        at p-6: 0xfd
        at p-5: 0xfd
        at p-4: 0xfd
        at p-3: 0x01 *** OUCH
        at p-2: 0x02 *** OUCH
        at p-1: 0xfd
    Because memory is corrupted at the start, the count of bytes requested
       may be bogus, and checking the trailing pad bytes may segfault.
    The 8 pad bytes at tail=${formatPointer(p + 40)} are FORBIDDENBYTE, as expected.
    Data at p: 00 01 02 03 04 05 06 07 ... 20 21 22 23 24 25 26 27

Enable tracemalloc to get the memory block allocation traceback

Fatal Python error: _PyMem_DebugRawFree: bad leading pad byte
Python runtime state: initialized

`);
  });

  test('NULL dumps one line; %p is 0x + lowercase hex, (nil) for NULL', () => {
    const rt = debugRuntime('debug');
    expect(dumpAddress(rt.space, 0)).toBe('Debug memory block at address p=(nil):\n');
    expect(formatPointer(0x7f31d6db1ab0)).toBe('0x7f31d6db1ab0');
    expect(formatPointer(-1n)).toBe('0xffffffffffffffff');
  });

  test('fatal framing', () => {
    expect(fatalErrorText('f', 'm')).toBe('Fatal Python error: f: m\nPython runtime state: initialized\n\n');
    expect(fatalErrorText(null, 'm')).toBe('Fatal Python error: m\nPython runtime state: initialized\n\n');
    const e = new FatalError('f', 'm', 'dump\n');
    expect(e.stderr).toBe('dump\nFatal Python error: f: m\nPython runtime state: initialized\n\n');
    expect(e.func).toBe('f');
    expect(e.message).toBe('m');
  });
});
