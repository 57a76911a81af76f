/** Every constant's invariant, as stated next to it in src/pymalloc/constants.ts. */
import { expect, test } from 'vitest';
import * as K from '../../src/pymalloc/constants.ts';

test('constants obey their invariants', () => {
  expect(K.ALIGNMENT).toBe(1 << K.ALIGNMENT_SHIFT);
  expect(K.ALIGNMENT).toBe(16);
  expect(K.SMALL_REQUEST_THRESHOLD % K.ALIGNMENT).toBe(0);
  expect(K.NB_SMALL_SIZE_CLASSES).toBe(K.SMALL_REQUEST_THRESHOLD / K.ALIGNMENT);
  expect(K.ARENA_SIZE).toBe(2 ** K.ARENA_BITS);
  expect(K.ARENA_SIZE_MASK).toBe(K.ARENA_SIZE - 1);
  expect(K.POOL_SIZE).toBe(2 ** K.POOL_BITS);
  expect(K.POOL_SIZE_MASK).toBe(K.POOL_SIZE - 1);
  expect(K.MAX_POOLS_IN_ARENA).toBe(K.ARENA_SIZE / K.POOL_SIZE);
  expect(K.POOL_OVERHEAD % K.ALIGNMENT).toBe(0);
  expect(K.POOL_OVERHEAD).toBeGreaterThanOrEqual(48);
  expect(K.MAP_TOP_BITS + K.MAP_MID_BITS + K.MAP_BOT_BITS + K.ARENA_BITS).toBe(64);
  expect(K.ARENA_MAP_ROOT_BYTES).toBe(8 * 2 ** K.MAP_TOP_BITS);
  expect(K.ARENA_MAP_MID_BYTES).toBe(8 * 2 ** K.MAP_MID_BITS);
  expect(K.ARENA_MAP_BOT_BYTES).toBe(8 * 2 ** K.MAP_BOT_BITS);
  expect(K.PY_SSIZE_T_MAX_BIG).toBe(2n ** 63n - 1n);
  expect(K.INITIAL_ARENA_OBJECTS).toBe(16);
  expect(K.SIZEOF_ARENA_OBJECT).toBe(48);
  expect(K.DUMMY_SIZE_IDX).toBe(0xffff);
});

test('size classes: 16 bytes apart, 1021 blocks of 16 and 31 of 512 per pool', () => {
  for (let i = 0; i < K.NB_SMALL_SIZE_CLASSES; i++) expect(K.INDEX2SIZE(i)).toBe(16 * (i + 1));
  expect(K.NUMBLOCKS(0)).toBe(1021);
  expect(K.NUMBLOCKS(31)).toBe(31);
  for (let i = 0; i < K.NB_SMALL_SIZE_CLASSES; i++) {
    expect(K.POOL_OVERHEAD + K.NUMBLOCKS(i) * K.INDEX2SIZE(i)).toBeLessThanOrEqual(K.POOL_SIZE);
    expect(K.POOL_OVERHEAD + (K.NUMBLOCKS(i) + 1) * K.INDEX2SIZE(i)).toBeGreaterThan(K.POOL_SIZE);
  }
});
