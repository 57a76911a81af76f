/** _PyObject_DebugMallocStats text: format details and the accounting identity. */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { Runtime } from '../../src/domains/runtime.ts';
import { ModelArenas, modelOS } from '../../src/memory/os.ts';
import { ARENA_SIZE } from '../../src/pymalloc/constants.ts';
import { collectMallocStats, debugMallocStats, printone } from '../../src/pymalloc/stats.ts';

/** Python's f"{label:<35}={value:>21,}\n", with C's truncation to the rightmost 21 characters. */
function pyPrintone(label: string, value: number): string {
  const v = value.toLocaleString('en-US', { useGrouping: true });
  return `${label.padEnd(35)}=${(v.length > 21 ? v.slice(-21) : v.padStart(21))}\n`;
}

test('printone matches the fact sheet examples and the Python equivalent', () => {
  expect(printone('# arenas allocated total', 4)).toBe('# arenas allocated total           =                    4\n');
  expect(printone('4 arenas * 1048576 bytes/arena', 4194304)).toBe('4 arenas * 1048576 bytes/arena     =            4,194,304\n');
  expect(printone('x'.repeat(40), 0)).toBe(`${'x'.repeat(40)}=                    0\n`);
  fc.assert(fc.property(fc.string({ maxLength: 50 }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (l, v) => {
    expect(printone(l, v)).toBe(pyPrintone(l, v));
  }));
});

test('a fresh model prints the empty report', () => {
  const text = debugMallocStats(new Runtime({ mode: 'pymalloc' }).pymalloc.s);
  expect(text.startsWith('Small block threshold = 512, in 32 size classes.\n\nclass   size   num pools   blocks in use  avail blocks\n-----   ----   ---------   -------------  ------------\n\n# arenas allocated total')).toBe(true);
  expect(text.endsWith('# bytes lost to arena map bot      =                    0\nTotal                              =              262,144\n')).toBe(true);
});

test('property: rows, counts and the identity narenas*ARENA_SIZE = sum of the six byte counts', () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.integer({ min: 0, max: 600 }), fc.boolean()), { maxLength: 400 }),
    fc.constantFrom(0x7f3c5e9c3000, 0x7f3c5e9c0000),
    (ops, top) => {
      const rt = new Runtime({ mode: 'pymalloc', os: (sp) => modelOS(sp, new ModelArenas(top)) });
      const live: number[] = [];
      for (const [n, free] of ops) {
        if (free && live.length > 0) rt.free('o', live.splice(n % live.length, 1)[0]);
        else live.push(rt.malloc('o', n));
      }
      const s = rt.pymalloc.s;
      const st = collectMallocStats(s);
      const unused = st.numfreepools * 16384;
      expect(st.narenas * ARENA_SIZE).toBe(st.allocatedBytes + st.availableBytes + unused + st.poolHeaderBytes + st.quantization + st.arenaAlignment);
      const inUse = live.filter((p) => rt.pymalloc.arenaOf(p) >= 0).length;
      expect(st.numblocks.reduce((a, b) => a + b, 0)).toBe(inUse);
      const text = debugMallocStats(s);
      const rows = text.split('\n').filter((l) => /^ {2,4}\d+ /.test(l));
      expect(rows.length).toBe(st.numpools.filter((x) => x > 0).length);
      for (const r of rows) expect(r).toMatch(/^[ \d]{5} [ \d]{6} [ \d]{11} [ \d]{15} [ \d]{13}$/);
      expect(text).toContain(printone('Total', st.narenas * ARENA_SIZE));
    },
  ), { numRuns: 60 });
});
