/**
 * spec/debug.ts against real CPython 3.11.7: every recorded debug-mode scenario whose
 * faults the spec models (pokes at p-8..p+N+7, releases through any family) must end
 * exactly as the spec predicts: the same `Fatal Python error` line at the same step,
 * or a clean exit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { predictRelease } from '../../spec/debug.ts';
import type { Family } from '../../spec/families.ts';

const dir = new URL('../../fixtures/scenarios/', import.meta.url);
interface Step { op: string; api?: Family; size?: number; nelem?: number; elsize?: number; ptr?: string | null; as?: string; offset?: number; value?: number }

test('spec predictions match every modelled debug scenario recorded from CPython', () => {
  let checked = 0;
  let fatal = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json') && !n.endsWith('.expected.json'))) {
    const sc = JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { mode: string; steps: Step[] };
    if (!sc.mode.endsWith('debug')) continue;
    const exp = JSON.parse(readFileSync(new URL(f.replace('.json', '.expected.json'), dir), 'utf8')) as { stderr_masked: string; exit_status: number };
    const blocks = new Map<string, { family: Family; size: number; oob: Map<number, number> }>();
    let predicted: string | null = null;
    let modelled = true;
    for (const st of sc.steps) {
      if (st.op === 'malloc' || st.op === 'calloc') {
        blocks.set(st.as!, { family: st.api!, size: st.op === 'malloc' ? st.size! : st.nelem! * st.elsize!, oob: new Map() });
      } else if (st.op === 'poke') {
        const b = blocks.get(st.ptr!)!;
        if (st.offset! >= 0 && st.offset! < b.size) continue;
        if (st.offset! < -8 || st.offset! >= b.size + 8) { modelled = false; break; }
        b.oob.set(st.offset!, st.value!);
      } else if (st.op === 'free' || st.op === 'realloc') {
        if (st.ptr === null || st.ptr === undefined) {
          if (st.op === 'realloc') blocks.set(st.as!, { family: st.api!, size: st.size!, oob: new Map() });
          continue;
        }
        const b = blocks.get(st.ptr)!;
        predicted = predictRelease(b.family, b.size, b.oob, st.api!, st.op);
        if (predicted !== null) break;
        blocks.delete(st.ptr);
        if (st.op === 'realloc') blocks.set(st.as!, { family: b.family, size: st.size!, oob: new Map() });
      }
    }
    if (!modelled) continue;
    const line = exp.stderr_masked.split('\n').find((l) => l.startsWith('Fatal Python error:')) ?? null;
    expect(line, f).toBe(predicted);
    expect(exp.exit_status, f).toBe(predicted === null ? 0 : 134);
    checked++;
    if (predicted !== null) fatal++;
  }
  expect(checked).toBeGreaterThan(200);
  expect(fatal).toBeGreaterThan(150);
});
