/**
 * The debug hooks' constants against the fact sheet (4.1 byte values, 4.2 layout, 4.3
 * ERASED_SIZE) and docs/debug-hooks.md (the model's mapped range).
 *
 * This file imports constants.ts and nothing else on purpose: debug-hooks.ts turns
 * EXTRA_BYTES into a bigint when it is loaded, so a wrong (fractional) value would make
 * every file that imports the hooks fail to load rather than fail an assertion.
 */
import { describe, expect, test } from 'vitest';
import {
  CLEANBYTE, DEADBYTE, ERASED_SIZE, EXTRA_BYTES, FAMILY_PREFIX, FORBIDDENBYTE, HEADER_BYTES, SST, USER_SPACE_HIGH,
  USER_SPACE_LOW,
} from '../../src/debug/constants.ts';

describe('debug-hook constants', () => {
  test('fact sheet 4.1: CLEANBYTE 0xCD, DEADBYTE 0xDD, FORBIDDENBYTE 0xFD', () => {
    expect([CLEANBYTE, DEADBYTE, FORBIDDENBYTE]).toEqual([0xcd, 0xdd, 0xfd]);
  });

  test('fact sheet 4.2: S = 8, PYMEM_DEBUG_EXTRA_BYTES = 3*S = 24 (no serial number), data at base + 16', () => {
    expect(SST).toBe(8);
    expect(EXTRA_BYTES).toBe(24);
    expect(HEADER_BYTES).toBe(16);
  });

  test('fact sheet 4.3: ERASED_SIZE 64', () => {
    expect(ERASED_SIZE).toBe(64);
  });

  test('docs: the mapped range is [0x10000, 2^47); the family prefixes of the messages', () => {
    expect(USER_SPACE_LOW).toBe(0x10000);
    expect(USER_SPACE_HIGH).toBe(0x800000000000);
    expect(FAMILY_PREFIX).toEqual({ r: 'PyMem_Raw', m: 'PyMem_', o: 'PyObject_' });
  });
});
