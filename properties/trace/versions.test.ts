/**
 * Versions as data (spec/versions.ts) at the trace boundary: the real CPython 3.14.7
 * traces (fixtures/cpython-3.14.7/, copied unmodified from the shared recordings) replay
 * with zero mismatches, and `replay` and `check` accept every verified version and refuse
 * any other, naming the verified ones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { VERIFIED, VERIFIED_NAMES, profileOf } from '../../spec/versions.ts';
import { checkTrace } from '../../src/trace/checker.ts';
import { parseTrace } from '../../src/trace/reader.ts';
import { isCheckpoint, ReplayInputError, replayTrace } from '../../src/trace/replay.ts';
import { TraceFormatError } from '../../src/trace/reader.ts';
import { HEADER, trace } from './helpers.ts';

const DIR = new URL('../../fixtures/cpython-3.14.7/', import.meta.url).pathname;
const T314 = ['json_small', 'threads'];

describe('CPython 3.14.7 traces replay unmodified with zero mismatches', () => {
  test.each(T314)('%s', async (name) => {
    const file = join(DIR, `${name}.trace.gz`);
    const t = parseTrace(readFileSync(file));
    expect(t.header.python).toBe('3.14.7');
    const r = await replayTrace(file);
    expect(r.mismatch).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.events).toBe(t.end.events);
    expect(r.memobjCalls + r.nestedServed + r.skipped).toBe(t.end.events);
    expect(r.resultsCompared).toBeGreaterThan(80000);
    expect(r.nestedServed).toBeGreaterThan(3000);
  });

  test.each(T314)('%s: check finds no violation', async (name) => {
    const r = await checkTrace(join(DIR, `${name}.trace.gz`));
    expect(r.violationCount).toBe(0);
  });
});

const withVersion = (v: string): Uint8Array => Buffer.from(trace(['f o 0'], { header: HEADER.replace('python=3.11.7', `python=${v}`) }));

describe('only verified versions are accepted', () => {
  test('the verified versions are 3.11.7 and 3.14.7, each with evidence', () => {
    expect(VERIFIED.map((p) => p.version)).toEqual(['3.11.7', '3.14.7']);
    for (const p of VERIFIED) {
      for (const e of [p.pymallocPlacement, p.debugHookReports, p.recorder.evidence, p.objimpl.evidence]) expect(e.source.length).toBeGreaterThan(0);
    }
  });

  test.each(['3.11.7', '3.14.7'])('python=%s is replayed and checked', async (v) => {
    expect((await replayTrace(withVersion(v))).ok).toBe(true);
    expect((await checkTrace(withVersion(v))).ok).toBe(true);
  });

  test.each(['3.11.2', '3.12.4', '3.14.6', '3.14.7+', '3.15.0a1', ''])('python=%s is refused by replay and check, naming the verified ones', async (v) => {
    await expect(replayTrace(withVersion(v))).rejects.toThrow(ReplayInputError);
    await expect(replayTrace(withVersion(v))).rejects.toThrow(`verified against CPython ${VERIFIED_NAMES} only`);
    await expect(checkTrace(withVersion(v))).rejects.toThrow(TraceFormatError);
    await expect(checkTrace(withVersion(v))).rejects.toThrow(`python=${v}: the model is verified against CPython 3.11.7, 3.14.7 only`);
  });

  test('after Py_RunMain a statistics checkpoint exists in 3.11.7 and not in 3.14.7 (the interpreter is gone)', () => {
    expect(isCheckpoint('phase after-runmain (exitcode=0 allocated_blocks=3)', profileOf('3.11.7')!)).toBe(true);
    expect(isCheckpoint('phase after-runmain (Py_RunMain returned; interpreter finalised)', profileOf('3.14.7')!)).toBe(false);
    expect(isCheckpoint('mark x', profileOf('3.14.7')!)).toBe(true);
    expect(isCheckpoint('phase main', profileOf('3.11.7')!)).toBe(false);
  });
});
