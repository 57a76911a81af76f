/**
 * The misuse property: under debug hooks, releasing a block through the wrong family or
 * after a write past either end must stop the process with exactly the report CPython
 * 3.11 prints. The expected report comes from our own debug-hook model (src/debug); the
 * two are compared on the span from "Debug memory block at address" to the fatal-error
 * line, with addresses masked.
 */
import fc from 'fast-check';
import type { Family } from '../../spec/families.ts';
import { ImplementationAborted, type Addr } from '../../spec/implementation.ts';
import { ModelImplementation } from '../implementation.ts';
import { RULES } from '../../spec/rules.ts';
import { call, fail, familiesOf, NAMES, nonNull, type PlainProperty } from './plain-property.ts';
import { encodeAddr, encodeBytes, encodeInt, type Request } from './protocol.ts';
import { describeExit, isAbort } from './remote-errors.ts';

type MisuseKind = 'wrong-family-free' | 'wrong-family-realloc' | 'overrun' | 'underrun';

/** The report span the protocol compares: "Debug memory block at address" .. the Fatal line. */
export function reportSpan(stderr: string): string | null {
  const start = stderr.indexOf('Debug memory block at address');
  if (start < 0) return null;
  const fatal = stderr.indexOf('Fatal Python error:', start);
  if (fatal < 0) return null;
  const nl = stderr.indexOf('\n', fatal);
  return stderr.slice(start, nl < 0 ? undefined : nl);
}

/** Addresses (5+ hex digits after 0x) masked; byte values such as 0xfd stay. */
export function maskAddresses(text: string): string {
  return text.replace(/0x[0-9a-f]{5,}/g, '0x…');
}

export interface MisuseInput { kind: MisuseKind; api: Family; via: Family; size: number; at: number; value: number }

/** The misuse as requests, after `malloc(api, size)` returned p. */
function misuseSteps(m: MisuseInput, p: Addr): { pre: Request[]; fatal: Request } {
  const ptr = encodeAddr(p);
  switch (m.kind) {
    case 'wrong-family-free': return { pre: [], fatal: { op: 'free', api: m.via, ptr } };
    case 'wrong-family-realloc': return { pre: [], fatal: { op: 'realloc', api: m.via, ptr, size: encodeInt(m.size + 8) } };
    case 'overrun':
    case 'underrun': {
      const offset = m.kind === 'overrun' ? m.size + m.at : -m.at;
      return { pre: [{ op: 'write', ptr, offset: encodeInt(offset), bytes: encodeBytes(Uint8Array.of(m.value)) }], fatal: { op: 'free', api: m.api, ptr } };
    }
  }
}

/** CPython's report for the misuse, from our debug-hook model (src/debug). */
export async function expectedReport(m: MisuseInput): Promise<string> {
  const model = new ModelImplementation({ mode: 'debug' });
  const p = await model.malloc(m.api, BigInt(m.size));
  const { pre, fatal } = misuseSteps(m, p);
  for (const r of pre) if (r.op === 'write') await model.write(p, Number(r.offset), Uint8Array.of(m.value));
  try {
    if (fatal.op === 'free') await model.free(fatal.api, p);
    else if (fatal.op === 'realloc') await model.realloc(fatal.api, p, BigInt(m.size + 8));
  } catch (e) {
    if (e instanceof ImplementationAborted) return e.stderr;
    throw e;
  }
  throw new Error(`the debug model did not stop on ${m.kind}`);
}

function describeMisuse(m: MisuseInput): string {
  switch (m.kind) {
    case 'wrong-family-free': return `a block from ${call(m.api, 'Malloc', m.size)} released with ${NAMES[m.via]}Free`;
    case 'wrong-family-realloc': return `a block from ${call(m.api, 'Malloc', m.size)} resized with ${NAMES[m.via]}Realloc`;
    case 'overrun': return `byte 0x${m.value.toString(16)} written at p+${m.size + m.at} (past the end of ${m.size} bytes), then released`;
    case 'underrun': return `byte 0x${m.value.toString(16)} written at p-${m.at} (before the block), then released`;
  }
}

export const misuse: PlainProperty<MisuseInput> = {
  name: 'misuse',
  title: "under debug hooks, a release through the wrong family or after a write past either end stops the process (contract), with SIGABRT and CPython's report (cpython)",
  skip: (f) => (f.has('debug') ? null : 'only for implementations that declare "debug"'),
  freshProcess: true,
  quietStderr: true,
  arbitrary: (f) => {
    const fams = familiesOf(f);
    const base = fc.record({
      kind: fc.constantFrom<MisuseKind>(...(fams.length > 1 ? ['wrong-family-free', 'wrong-family-realloc'] as const : []), 'overrun', 'underrun'),
      api: fc.constantFrom(...fams),
      via: fc.constantFrom(...fams),
      size: fc.integer({ min: 1, max: 64 }),
      at: fc.integer({ min: 0, max: 8 }),
      value: fc.integer({ min: 0, max: 255 }),
    });
    // Keep only real misuse: another family; a byte that is not FORBIDDENBYTE (nor, at
    // the API id byte p-8, the family's own letter).
    return base.map((m) => {
      const via = m.via !== m.api ? m.via : fams[(fams.indexOf(m.api) + 1) % fams.length];
      const at = m.kind === 'underrun' ? Math.max(1, m.at) : Math.min(7, m.at);
      let value = m.value === 0xfd ? 0 : m.value;
      if (m.kind === 'underrun' && at === 8 && value === m.api.charCodeAt(0)) value = 0;
      return { ...m, via, at, value };
    });
  },
  async run(ctx, m) {
    const p = await ctx.impl.malloc(m.api, BigInt(m.size));
    nonNull(p, call(m.api, 'Malloc', m.size), 'a block');
    const { pre, fatal } = misuseSteps(m, p);
    for (const r of pre) await ctx.impl.request(r);
    const what = describeMisuse(m);
    const out = await ctx.impl.expectAbort(fatal);
    if (out.answered !== null) fail(`${what}: the implementation went on (answered ${JSON.stringify(out.answered)}); expected the debug hooks to abort the process with a fatal error`, RULES.debugDetects);
    const report = RULES.debugReport;
    const kind = m.kind.replace(/-/g, ' ');
    ctx.conf.check(isAbort(out.exit), report, `${kind}: the process ends with ${out.exit === null ? 'no exit' : describeExit(out.exit)}`,
      `${what}: the process ended with ${out.exit === null ? 'no exit' : describeExit(out.exit)}, expected SIGABRT (status 134)`);
    const want = reportSpan(await expectedReport(m))!;
    const got = reportSpan(out.stderr);
    if (got === null) {
      ctx.conf.broke(report, `${kind}: no CPython report on stderr`, `${what}: stderr has no "Debug memory block at address … Fatal Python error:" report; expected:\n${maskAddresses(want)}\n  got (stderr tail):\n${out.stderr.split('\n').slice(-8).join('\n')}`);
      return;
    }
    const [g, w] = [maskAddresses(got), maskAddresses(want)];
    if (g !== w) {
      const gl = g.split('\n');
      const wl = w.split('\n');
      const i = wl.findIndex((l, k) => l !== gl[k]);
      ctx.conf.broke(report, `${kind}: report line ${i + 1} differs`, `${what}: the report differs from CPython's at line ${i + 1}:\n    expected: ${JSON.stringify(wl[i])}\n    observed: ${JSON.stringify(gl[i] ?? '(missing)')}`);
    }
  },
};
