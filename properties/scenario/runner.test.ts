/**
 * The scenario runner beyond the recorded fixtures: the three debug modes agree after
 * masking (as the recorded corpus shows for real CPython), defined programs exit 0 in
 * every mode, and undefined behaviour is a deterministic fatal error (exit 134) in every
 * mode, including the ones without debug hooks.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { AllocatorMode, Api } from '../../src/domains/allocator.ts';
import { MODES } from '../../src/domains/allocator.ts';
import { runScenario } from '../../src/scenario/runner.ts';
import { validateScenario, type Scenario } from '../../src/scenario/scenario.ts';
import type { JsonValue } from '../../src/scenario/json.ts';
import { mask, truncate } from './fixture-lib.ts';

const arbApi = fc.constantFrom<Api>('r', 'm', 'o');
const arbSize = fc.oneof(fc.nat({ max: 40 }), fc.integer({ min: 100, max: 200 }), fc.integer({ min: 480, max: 1100 }));

/** Build a scenario through the validator (integers as bigints, as the reader gives them). */
function scenario(mode: AllocatorMode, steps: Array<Record<string, unknown>>): Scenario {
  const conv = (v: unknown): JsonValue => (typeof v === 'number' ? BigInt(v) : (v as JsonValue));
  return validateScenario({ mode, steps: steps.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, conv(v)]))) });
}

const masked = (s: string): string => mask(truncate(s)).masked;

describe('scenario runner', () => {
  test('one fault in a block of a random program: the three debug modes print the same masked text', () => {
    fc.assert(fc.property(arbApi, arbSize, fc.array(fc.tuple(arbApi, arbSize), { maxLength: 4 }), fc.integer({ min: -8, max: 1200 }),
      fc.integer({ min: 0, max: 0x7f }), fc.constantFrom('free', 'realloc'), arbApi, fc.nat({ max: 2000 }),
      (api, n, others, off, value, op, api2, n2) => {
        const k = -8 + ((off + 8) % (n + 16)); // -8 .. n+7: id, pads, data, trailer
        const steps: Array<Record<string, unknown>> = [];
        others.forEach(([a, s], i) => steps.push({ op: 'malloc', api: a, size: s, as: `x${i}` }));
        steps.push({ op: 'malloc', api, size: n, as: 'p' }, { op: 'print', text: 'go' }, { op: 'poke', ptr: 'p', offset: k, value });
        steps.push(op === 'free' ? { op: 'free', api: api2, ptr: 'p' } : { op: 'realloc', api: api2, ptr: 'p', size: n2, as: 'p' });
        const outs = (['debug', 'pymalloc_debug', 'malloc_debug'] as const).map((m) => runScenario(scenario(m, steps)));
        for (const r of outs) expect(r.stdout).toBe('go\n');
        expect(outs[1].exitStatus).toBe(outs[0].exitStatus);
        expect(outs[2].exitStatus).toBe(outs[0].exitStatus);
        expect(masked(outs[1].stderr)).toBe(masked(outs[0].stderr));
        expect(masked(outs[2].stderr)).toBe(masked(outs[0].stderr));
      }));
  });

  test('defined programs exit 0 with empty stderr in every mode', () => {
    const arbStep = fc.oneof(
      fc.record({ op: fc.constant('malloc'), api: arbApi, size: arbSize }),
      fc.record({ op: fc.constant('calloc'), api: arbApi, nelem: fc.nat({ max: 30 }), elsize: fc.nat({ max: 30 }) }),
      fc.record({ op: fc.constant('realloc'), i: fc.nat(), size: arbSize }),
      fc.record({ op: fc.constant('free'), i: fc.nat() }),
      fc.record({ op: fc.constant('poke'), i: fc.nat(), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(fc.property(fc.constantFrom(...MODES), fc.array(arbStep, { maxLength: 30 }), (mode, gen) => {
      const live: Array<{ name: string; api: Api; n: number }> = [];
      const steps: Array<Record<string, unknown>> = [];
      let fresh = 0;
      for (const g of gen) {
        if (g.op === 'malloc' || g.op === 'calloc') {
          const name = `b${fresh++}`;
          steps.push({ ...g, as: name });
          live.push({ name, api: g.api, n: g.op === 'malloc' ? g.size : g.nelem * g.elsize });
        } else if (live.length > 0) {
          const i = g.i % live.length;
          const b = live[i];
          if (g.op === 'free') {
            steps.push({ op: 'free', api: b.api, ptr: b.name });
            live.splice(i, 1);
          } else if (g.op === 'realloc') {
            steps.push({ op: 'realloc', api: b.api, ptr: b.name, size: g.size, as: b.name });
            b.n = g.size;
          } else if (b.n > 0) steps.push({ op: 'poke', ptr: b.name, offset: g.at % b.n, value: g.value });
        }
      }
      for (const b of live) steps.push({ op: 'free', api: b.api, ptr: b.name });
      steps.push({ op: 'print', text: 'end' });
      const r = runScenario(scenario(mode, steps));
      expect(r.stderr).toBe('');
      expect(r.exitStatus).toBe(0);
      expect(r.stdout).toBe('end\n');
    }), { numRuns: 60 });
  });

  const UB: Array<[string, Array<Record<string, unknown>>, RegExp]> = [
    ['double free', [{ op: 'malloc', api: 'm', size: 16, as: 'p' }, { op: 'free', api: 'm', ptr: 'p' }, { op: 'print', text: 'x' }, { op: 'free', api: 'm', ptr: 'p' }],
      /: double free: the block at p=0x[0-9a-f]{6,} was already freed by PyMem_Free\n/],
    ['realloc of a freed block', [{ op: 'malloc', api: 'o', size: 16, as: 'p' }, { op: 'free', api: 'o', ptr: 'p' }, { op: 'realloc', api: 'o', ptr: 'p', size: 8, as: 'q' }],
      /: use after free: realloc of the block at p=0x[0-9a-f]+, which was already freed by PyObject_Free\n/],
    ['write into a freed block, then free', [{ op: 'malloc', api: 'r', size: 16, as: 'p' }, { op: 'free', api: 'r', ptr: 'p' }, { op: 'poke', ptr: 'p', offset: 3, value: 1 }, { op: 'print', text: 'x' }, { op: 'free', api: 'r', ptr: 'p' }],
      /: use after free: the block at p=0x[0-9a-f]+ was written at p\+3 after it was freed by PyMem_RawFree, then freed again\n/],
    ['write into a freed block, then reuse', [{ op: 'malloc', api: 'o', size: 16, as: 'p' }, { op: 'free', api: 'o', ptr: 'p' }, { op: 'poke', ptr: 'p', offset: 0, value: 1 }, { op: 'malloc', api: 'o', size: 16, as: 'q' }],
      /: use after free: the block at p=0x[0-9a-f]+ was written at p\+0 after it was freed by PyObject_Free, and its memory is now being reused\n/],
    ['free of the old pointer after realloc moved it', [{ op: 'malloc', api: 'o', size: 16, as: 'p' }, { op: 'realloc', api: 'o', ptr: 'p', size: 3000, as: 'q' }, { op: 'free', api: 'o', ptr: 'p' }],
      /: double free: the block at p=0x[0-9a-f]+ was already freed by PyObject_Realloc\n/],
    ['poke through a NULL result', [{ op: 'malloc', api: 'r', size: 2 ** 62, as: 'p' }, { op: 'poke', ptr: 'p', offset: 8, value: 1 }],
      /^Fatal Python error: Segmentation fault: poke at p\+8 writes to 0x8, outside mapped memory \(p is NULL\)\n/],
    ['poke far outside user space', [{ op: 'malloc', api: 'r', size: 8, as: 'p' }, { op: 'poke', ptr: 'p', offset: 2 ** 50, value: 1 }],
      /^Fatal Python error: Segmentation fault: poke at p\+1125899906842624 writes to 0x[0-9a-f]+, outside mapped memory\n/],
  ];

  for (const [what, steps, re] of UB) {
    test(`undefined: ${what} is fatal (134) in every mode`, () => {
      for (const mode of MODES) {
        const r = runScenario(scenario(mode, steps));
        expect(r.exitStatus).toBe(134);
        expect(r.stderr).toMatch(re);
        expect(r.stderr.endsWith('\nPython runtime state: initialized\n\n')).toBe(true);
        expect(runScenario(scenario(mode, steps)).stderr.length).toBe(r.stderr.length); // deterministic
      }
    });
  }

  test('without hooks, PyMem_RawFree of a pymalloc block is reported; of a raw-backed block it is fine', () => {
    for (const mode of ['default', 'pymalloc'] as const) {
      const bad = runScenario(scenario(mode, [{ op: 'malloc', api: 'o', size: 16, as: 'p' }, { op: 'free', api: 'r', ptr: 'p' }]));
      expect(bad.exitStatus).toBe(134);
      expect(bad.stderr).toMatch(/^Fatal Python error: PyMem_RawFree: wrong allocator: the block at p=0x[0-9a-f]+ was allocated using API 'o' from a pymalloc arena, and PyMem_RawFree would pass it to the C library, which does not own it\n/);
      const ok = runScenario(scenario(mode, [{ op: 'malloc', api: 'o', size: 1000, as: 'p' }, { op: 'free', api: 'r', ptr: 'p' },
        { op: 'malloc', api: 'r', size: 16, as: 'q' }, { op: 'free', api: 'o', ptr: 'q' }]));
      expect(ok.exitStatus).toBe(0);
    }
    const m = runScenario(scenario('malloc', [{ op: 'malloc', api: 'o', size: 16, as: 'p' }, { op: 'free', api: 'r', ptr: 'p' }]));
    expect(m.exitStatus).toBe(0);
  });
});
