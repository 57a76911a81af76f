/**
 * Malformed scenario files are refused before anything runs: a ScenarioError whose
 * one-line message names the step (1-based) and the problem; `objimpl run` then writes
 * that line to stderr, nothing to stdout, and exits 2.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { runCommand } from '../../src/cli/run.ts';
import { parseScenario } from '../../src/scenario/scenario.ts';
import { refusal } from './refusal.ts';

const doc = (steps: unknown[], mode = 'debug'): string => JSON.stringify({ mode, steps });
const m16 = { op: 'malloc', api: 'm', size: 16, as: 'p' };

async function cli(text: string): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const dec = new TextDecoder();
  const status = await runCommand(['-'], {
    stdout: { write: (c: Uint8Array | string) => { stdout += typeof c === 'string' ? c : dec.decode(c); } },
    stderr: { write: (c: Uint8Array | string) => { stderr += typeof c === 'string' ? c : dec.decode(c); } },
    stdin: (async function* () { yield new TextEncoder().encode(text); })(),
  });
  return { status, stdout, stderr };
}

// [what, text, expected step (null = whole file), fragment of the message]
const CASES: Array<[string, string, number | null, RegExp]> = [
  ['not JSON', '{"mode": "debug", "steps": [', null, /^not JSON: /],
  ['trailing garbage', '{"mode": "debug", "steps": []} x', null, /^not JSON: /],
  ['empty file', '', null, /^not JSON: /],
  ['NaN is not JSON', '{"mode": "debug", "steps": [{"op":"malloc","api":"m","size":NaN,"as":"p"}]}', null, /^not JSON/],
  ['top level not an object', '[1, 2]', null, /JSON object/],
  ['unknown mode', doc([], 'fast'), null, /"mode" must be one of default, pymalloc, malloc, debug, pymalloc_debug, malloc_debug; got "fast"/],
  ['missing mode', JSON.stringify({ steps: [] }), null, /"mode" must be one of/],
  ['steps not a list', JSON.stringify({ mode: 'debug', steps: {} }), null, /"steps" must be a list/],
  ['unknown top-level field', JSON.stringify({ mode: 'debug', steps: [], extra: 1 }), null, /unknown top-level field "extra"/],
  ['unknown op', doc([m16, { op: 'peek', ptr: 'p' }]), 2, /^step 2: unknown op "peek"/],
  ['missing op', doc([{ api: 'm' }]), 1, /^step 1: missing field "op"/],
  ['step not an object', doc([m16, 7]), 2, /^step 2: must be an object/],
  ['name used before bound', doc([{ op: 'free', api: 'm', ptr: 'q' }]), 1, /^step 1 \(free\): "ptr" names "q", which no earlier step bound/],
  ['name bound later', doc([{ op: 'poke', ptr: 'p', offset: 0, value: 1 }, m16]), 1, /^step 1 \(poke\): "ptr" names "p"/],
  ['poke at null', doc([m16, { op: 'poke', ptr: null, offset: 0, value: 1 }]), 2, /^step 2 \(poke\): "ptr" must be a name; got null/],
  ['bad api', doc([{ op: 'malloc', api: 'x', size: 1, as: 'p' }]), 1, /^step 1 \(malloc\): "api" must be "r", "m" or "o"; got "x"/],
  ['negative size', doc([{ op: 'malloc', api: 'r', size: -1, as: 'p' }]), 1, /^step 1 \(malloc\): "size" must be in 0\.\.18446744073709551615; got -1/],
  ['size above SIZE_MAX', '{"mode":"debug","steps":[{"op":"malloc","api":"r","size":18446744073709551616,"as":"p"}]}', 1, /"size" must be in 0\.\.18446744073709551615; got 18446744073709551616/],
  ['fractional size', doc([{ op: 'malloc', api: 'r', size: 1.5, as: 'p' }]), 1, /"size" must be an integer; got 1\.5/],
  ['size as string', doc([{ op: 'malloc', api: 'r', size: '16', as: 'p' }]), 1, /"size" must be an integer; got "16"/],
  ['size as bool', doc([{ op: 'malloc', api: 'r', size: true, as: 'p' }]), 1, /"size" must be an integer; got true/],
  ['exponent size', '{"mode":"debug","steps":[{"op":"malloc","api":"r","size":1e3,"as":"p"}]}', 1, /"size" must be an integer/],
  ['poke value 256', doc([m16, { op: 'poke', ptr: 'p', offset: 0, value: 256 }]), 2, /^step 2 \(poke\): "value" must be in 0\.\.255; got 256/],
  ['poke value -1', doc([m16, { op: 'poke', ptr: 'p', offset: 0, value: -1 }]), 2, /"value" must be in 0\.\.255; got -1/],
  ['poke offset below -2^63', `{"mode":"debug","steps":[${JSON.stringify(m16)},{"op":"poke","ptr":"p","offset":-9223372036854775809,"value":1}]}`, 2, /"offset" must be in -9223372036854775808\.\.9223372036854775807/],
  ['calloc nelem missing', doc([{ op: 'calloc', api: 'o', elsize: 4, as: 'p' }]), 1, /^step 1 \(calloc\): missing field "nelem"/],
  ['malloc without as', doc([{ op: 'malloc', api: 'o', size: 4 }]), 1, /^step 1 \(malloc\): missing field "as"/],
  ['as not a string', doc([{ op: 'malloc', api: 'o', size: 4, as: 3 }]), 1, /"as" must be a name/],
  ['free without ptr', doc([{ op: 'free', api: 'o' }]), 1, /^step 1 \(free\): missing field "ptr"/],
  ['unknown field', doc([m16, { op: 'free', api: 'm', ptr: 'p', as: 'q' }]), 2, /^step 2 \(free\): unknown field "as"/],
  ['print text not a string', doc([{ op: 'print', text: 5 }]), 1, /^step 1 \(print\): "text" must be a string; got 5/],
  ['print lone surrogate', '{"mode":"debug","steps":[{"op":"print","text":"\\ud800"}]}', 1, /lone surrogate/],
];

describe('malformed scenarios are refused', () => {
  for (const [what, text, step, re] of CASES) {
    test(what, async () => {
      const e = refusal(text);
      expect(e.step).toBe(step);
      expect(e.message).toMatch(re);
      expect(e.message).not.toContain('\n');
      const r = await cli(text);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`objimpl run: <stdin>: ${e.message}\n`);
    });
  }

  test('invalid UTF-8 is refused', () => {
    expect(refusal(new Uint8Array([0x7b, 0xff, 0x7d])).message).toMatch(/^not JSON: the file is not valid UTF-8/);
  });

  test('nothing runs before the refusal: prints before a bad step do not appear', async () => {
    const r = await cli(doc([{ op: 'print', text: 'early' }, { op: 'print', text: 'x' }, { op: 'bogus' }]));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^objimpl run: <stdin>: step 3: unknown op "bogus"/);
  });

  test('valid edge values are accepted', () => {
    const s = parseScenario('{"mode":"malloc_debug","steps":[{"op":"malloc","api":"r","size":18446744073709551615,"as":"p"},'
      + '{"op":"poke","ptr":"p","offset":-9223372036854775808,"value":0},{"op":"poke","ptr":"p","offset":9223372036854775807,"value":255},'
      + '{"op":"realloc","api":"m","ptr":null,"size":0,"as":"p"},{"op":"free","api":"o","ptr":null},{"op":"print","text":""}]}');
    expect(s.steps).toHaveLength(6);
    expect(s.steps[0]).toEqual({ op: 'malloc', api: 'r', size: 18446744073709551615n, as: 'p' });
  });

  test('property: any step with one field replaced by an out-of-range integer is refused and named', () => {
    fc.assert(fc.property(
      fc.constantFrom<[string, bigint, bigint]>(['size', 0n, (1n << 64n) - 1n], ['value', 0n, 255n]),
      fc.boolean(),
      fc.bigInt({ min: 1n, max: 1n << 70n }),
      fc.nat({ max: 3 }),
      ([field, lo, hi], below, delta, before) => {
        const v = below ? lo - delta : hi + delta;
        const steps = [...Array.from({ length: before }, () => '{"op":"print","text":"x"}'), '{"op":"malloc","api":"m","size":8,"as":"p"}'];
        const n = steps.length + 1;
        steps.push(field === 'size'
          ? `{"op":"realloc","api":"m","ptr":"p","size":${v},"as":"p"}`
          : `{"op":"poke","ptr":"p","offset":0,"value":${v}}`);
        const e = refusal(`{"mode":"pymalloc_debug","steps":[${steps.join(',')}]}`);
        expect(e.step).toBe(n);
        expect(e.message).toContain(`step ${n} (`);
        expect(e.message).toContain(`"${field}" must be in`);
      },
    ));
  });
});
