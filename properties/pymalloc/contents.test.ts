/**
 * Block contents through pymalloc, on every size class: calloc of a reused block reads
 * as zero to its last byte, and realloc keeps every byte it must (min of the old and new
 * size) whether the block moves within pymalloc, shrinks in place, or leaves for RAW.
 * Random runs reach these only by luck (a write near the end of a block, then a free
 * and a calloc of the same class); these examples reach them every time.
 */
import { expect, test } from 'vitest';
import { Runtime } from '../../src/domains/runtime.ts';
import { modelOS } from '../../src/memory/os.ts';

const SIZES = Array.from({ length: 32 }, (_, c) => 16 * (c + 1));

/** A pattern no allocator produces by accident: never zero, different at each offset. */
function pattern(n: number, salt: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = 1 + ((i * 37 + salt) % 255);
  return b;
}

test('calloc of a reused block of every class is zero to its last byte', () => {
  const rt = new Runtime({ mode: 'pymalloc' });
  for (const size of SIZES) {
    const p = rt.malloc('o', size);
    rt.space.write(p, pattern(size, size));
    rt.free('o', p);
    // elsize 1 and elsize 16: the zeroing works on words and on a byte tail.
    for (const [ne, es] of [[size, 1], [size / 16, 16], [size - 3, 1]]) {
      const q = rt.calloc('o', ne, es);
      expect(q, `calloc(${ne}, ${es}) reuses the block just freed`).toBe(p);
      expect(Array.from(rt.space.read(q, ne * es)).every((v) => v === 0), `calloc(${ne}, ${es}) of class ${size}`).toBe(true);
      rt.space.write(q, pattern(size, ne));
      rt.free('o', q);
    }
  }
});

test('realloc keeps min(old, new) bytes: moving within pymalloc, in place, and into RAW', () => {
  const rt = new Runtime({ mode: 'pymalloc' });
  for (const size of SIZES) {
    for (const n of [size + 1, size + 16, Math.floor((3 * size) / 4), Math.floor(size / 2), 1, 513, 100_000]) {
      if (n === 0) continue;
      const p = rt.malloc('o', size);
      const data = pattern(size, n);
      rt.space.write(p, data);
      const q = rt.realloc('o', p, n);
      expect(q).not.toBe(0);
      const keep = Math.min(size, n);
      expect(Array.from(rt.space.read(q, keep)), `realloc of ${size} bytes to ${n}`).toEqual(Array.from(data.subarray(0, keep)));
      rt.free('o', q);
    }
  }
});

/** The 8 bytes at p as a little-endian address. */
function word(rt: Runtime, p: number): number {
  const b = rt.space.read(p, 8);
  let v = 0;
  for (let i = 7; i >= 0; i--) v = v * 256 + b[i];
  return v;
}

test('a freed block holds the free-list link: the address of the block freed before it, or NULL', () => {
  const rt = new Runtime({ mode: 'pymalloc' });
  for (const size of [16, 48, 512]) {
    const [a, b, c] = [rt.malloc('o', size), rt.malloc('o', size), rt.malloc('o', size)];
    rt.free('o', a);
    rt.free('o', c);
    rt.free('o', b);
    // CPython links each freed block to the pool's previous free-list head.
    expect(word(rt, c)).toBe(a);
    expect(word(rt, b)).toBe(c);
    // a was freed onto the list that starts at the next never-used block (carved lazily),
    // and the head read back is b, then c, then a.
    expect([rt.malloc('o', size), rt.malloc('o', size), rt.malloc('o', size)]).toEqual([b, c, a]);
  }
});

test('a realloc into RAW that fails leaves the pymalloc block where it was, contents and all', () => {
  let failRaw = false;
  const rt = new Runtime({
    mode: 'pymalloc',
    os: (space) => {
      const os = modelOS(space);
      const malloc = os.libc.malloc.bind(os.libc);
      os.libc.malloc = (n) => (failRaw && n > 512 ? 0 : malloc(n));
      return os;
    },
  });
  const p = rt.malloc('o', 100);
  const data = pattern(100, 7);
  rt.space.write(p, data);
  const before = rt.pymalloc.allocatedBlocks();
  failRaw = true;
  expect(rt.realloc('o', p, 1000)).toBe(0);
  failRaw = false;
  expect(rt.pymalloc.allocatedBlocks()).toBe(before);
  expect(Array.from(rt.space.read(p, 100))).toEqual(Array.from(data));
  // Still allocated: the next block of its class is another one.
  expect(rt.malloc('o', 100)).not.toBe(p);
});
