/**
 * The pytrace v1 reader: it accepts well-formed traces (plain and gzip, any chunking) and
 * rejects malformed or truncated ones with a TraceFormatError naming the line and reason.
 */
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type AllocEvent, formatEvent, forEachTraceEvent, parseTrace, readTrace, TraceFormatError, TraceParser,
} from '../../src/trace/reader.ts';
import { HEADER, trace } from './helpers.ts';

const GOOD = trace([
  '# argv "x"',
  'm r 24 5636bdfcb0b0',
  'r r 0 768 55b96faef560 ^',
  'A 7fc15a7c9000 1048576 ^',
  'c r 1 262144 7fc15a788010 ^',
  'c r 1 131072 7fc15a767010 ^',
  'm o 56 7fc15a7cc030',
  'f o 7fc15a7cc030',
  'm m 600 55b96faefb80 t1',
  'f r 0',
  'A 7fb7fd7c5000 16384',
  'X 7fb7fd7c5000 16384',
  'r o 0 5 7fc15a7cc030',
]);

function rejects(text: string | Uint8Array): TraceFormatError {
  try {
    parseTrace(text);
  } catch (e) {
    expect(e).toBeInstanceOf(TraceFormatError);
    return e as TraceFormatError;
  }
  throw new Error('trace was accepted');
}

describe('accepts well-formed traces', () => {
  test('every kind of line, with line numbers, tags and the header', () => {
    const t = parseTrace(GOOD);
    expect(t.header.allocator).toBe('pymalloc');
    expect(t.header.fields.PYTHONMALLOC).toBe('');
    expect(t.end).toEqual({ line: 15, events: 12, reason: 'runmain', exitcode: 0 });
    const ev = t.events.filter((e) => e.kind !== '#') as AllocEvent[];
    expect(ev.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(ev[1]).toEqual({ kind: 'r', line: 4, nested: true, thread: 0, domain: 'r', ptr: 0, size: 768, result: 0x55b96faef560 });
    expect(ev[2]).toEqual({ kind: 'A', line: 5, nested: true, thread: 0, addr: 0x7fc15a7c9000, size: 1048576 });
    expect(ev[7]).toMatchObject({ kind: 'm', domain: 'm', size: 600, thread: 1, nested: false });
    // formatEvent gives back the line.
    const lines = GOOD.split('\n');
    for (const e of ev) expect(formatEvent(e)).toBe(lines[e.line - 1]);
  });

  test('gzip is detected by its magic bytes, whatever the chunking', async () => {
    const gz = gzipSync(Buffer.from(GOOD));
    expect(parseTrace(gz).eventCount).toBe(12);
    for (const size of [1, 7, 100, 1 << 20]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < gz.length; i += size) chunks.push(gz.subarray(i, i + size));
      const seen: number[] = [];
      const r = await forEachTraceEvent(Readable.from(chunks), (e) => { if (e.kind !== '#') seen.push(e.line); });
      expect(r.events).toBe(12);
      expect(seen).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    }
  });

  test('readTrace streams the same events as parseTrace', async () => {
    const got: string[] = [];
    for await (const e of readTrace(Readable.from([Buffer.from(GOOD.slice(0, 50)), Buffer.from(GOOD.slice(50))]))) got.push(formatEvent(e));
    expect(got).toEqual(parseTrace(GOOD).events.map(formatEvent));
  });

  test('property: any chunking of a plain trace parses the same', () => {
    const whole = parseTrace(GOOD).events;
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: GOOD.length }), { maxLength: 8 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const got: string[] = [];
      const p = new TraceParser((e) => got.push(formatEvent(e)));
      let prev = 0;
      for (const c of [...points, GOOD.length]) {
        p.push(Buffer.from(GOOD.slice(prev, c)));
        prev = c;
      }
      p.finish();
      expect(got).toEqual(whole.map(formatEvent));
    }));
  });
});

describe('rejects malformed and truncated traces with the line and the reason', () => {
  test('no # end line: truncated', () => {
    const e = rejects(trace(['m o 16 7f0000001030'], { end: false }));
    expect(e.line).toBe(2);
    expect(e.reason).toMatch(/truncated: no '# end' line/);
  });

  test('last line without a newline', () => {
    const e = rejects(`${HEADER}\nm o 16 7f0000001030\n# end events=1 reason=runmain exitcode=0`);
    expect(e.line).toBe(3);
    expect(e.reason).toMatch(/no terminating newline/);
  });

  test('cut in the middle of a line', () => {
    const e = rejects(`${HEADER}\nm o 16 7f00000`);
    expect(e.line).toBe(2);
    expect(e.reason).toMatch(/truncated/);
  });

  test('truncated gzip data', () => {
    const gz = gzipSync(Buffer.from(GOOD));
    const e = rejects(gz.subarray(0, gz.length - 12));
    expect(e.reason).toMatch(/gzip/);
  });

  test('truncated gzip, streaming', async () => {
    const gz = gzipSync(Buffer.from(GOOD.repeat(1)));
    await expect(forEachTraceEvent(Readable.from([gz.subarray(0, gz.length - 12)]), () => {})).rejects.toBeInstanceOf(TraceFormatError);
  });

  test.each([
    ['m o 16', 3, /malformed|bad result/],
    ['m o 16 7F0000001030', 3, /lowercase hex/],
    ['m o 16 0x7f0000001030', 3, /bad result|lowercase/],
    ['m o -1 7f0000001030', 3, /decimal expected/],
    ['m  o 16 7f0000001030', 3, /malformed|unknown domain/],
    ['m x 16 7f0000001030', 3, /unknown domain 'x'/],
    ['q o 16 7f0000001030', 3, /unknown event kind 'q'/],
    ['m o 16 7f0000001030 ', 3, /malformed|unexpected/],
    ['m o 16 7f0000001030 t0', 3, /bad thread tag/],
    ['m o 16 7f0000001030 t1 ^', 3, /bad thread tag/],
    ['m o 16 7f0000001030 junk', 3, /unexpected text/],
    ['f o 7f0000001030 16', 3, /unexpected text/],
    ['m o 16 ffffffffffffffff', 3, /above 2\^53/],
    ['', 3, /empty line/],
    ['#comment', 3, /'# '/],
    ['A 7f0000000000', 3, /malformed/],
  ])('bad line %j', (bad, line, reason) => {
    const e = rejects(trace(['m r 24 5636bdfcb0b0', bad, 'f r 5636bdfcb0b0']));
    expect(e.line).toBe(line);
    expect(e.reason).toMatch(reason);
  });

  test('nesting: MEM/OBJ line tagged nested', () => {
    const e = rejects(trace(['m o 16 7f0000001030 ^', 'm o 16 7f0000001040']));
    expect([e.line, e.reason]).toEqual([2, expect.stringMatching(/only RAW and arena lines can be nested/)]);
  });

  test('nesting: group closed by a RAW line', () => {
    const e = rejects(trace(['m r 600 55b96faefb80 ^', 'm r 600 55b96faefb80']));
    expect(e.line).toBe(3);
    expect(e.reason).toMatch(/closed by a RAW or arena line/);
  });

  test('nesting: comment inside a group', () => {
    const e = rejects(trace(['m r 600 55b96faefb80 ^', '# mark x', 'm o 600 55b96faefb80']));
    expect(e.line).toBe(3);
  });

  test('nesting: another thread inside a group', () => {
    const e = rejects(trace(['m r 600 55b96faefb80 ^', 'm o 16 7f0000001030 t2', 'm o 600 55b96faefb80']));
    expect(e.line).toBe(3);
    expect(e.reason).toMatch(/thread/);
  });

  test('nesting: trace ends inside a group', () => {
    const e = rejects(trace(['m r 600 55b96faefb80 ^']));
    expect(e.reason).toMatch(/inside the nested group that began at line 2/);
  });

  test('# end with the wrong event count, malformed, or followed by more', () => {
    expect(rejects(`${HEADER}\nm o 16 7f0000001030\n# end events=2 reason=runmain exitcode=0\n`).reason).toMatch(/events=2 but the trace has 1/);
    expect(rejects(`${HEADER}\n# end events=0 reason=oops exitcode=0\n`).reason).toMatch(/malformed end line/);
    const e = rejects(`${HEADER}\n# end events=0 reason=exit exitcode=1\nm o 16 7f0000001030\n`);
    expect([e.line, e.reason]).toEqual([3, expect.stringMatching(/after the '# end' line/)]);
  });

  test('# end reason=abort (the recorder ended a trace on SIGABRT/SIGSEGV) is read, with its abort comment', () => {
    const t = parseTrace(`${HEADER}\nm o 16 7f0000001030\n# abort in-call f m 7f0000001030\n# end events=1 reason=abort exitcode=134\n`);
    expect(t.end).toMatchObject({ reason: 'abort', exitcode: 134, events: 1 });
    expect(t.events.map((e) => e.kind)).toEqual(['#', 'm', '#', '#']);
  });

  test('header: missing, wrong or incomplete', () => {
    expect(rejects('m o 16 7f0000001030\n# end events=1 reason=runmain exitcode=0\n').line).toBe(1);
    expect(rejects('# pytrace v2 python=3.11.7\n# end events=0 reason=runmain exitcode=0\n').reason).toMatch(/not a pytrace v1/);
    expect(rejects(trace([], { header: HEADER.replace(' aslr=on', '') })).reason).toMatch(/header lacks aslr=/);
    expect(rejects('').reason).toMatch(/empty/);
  });

  test('property: any single-byte corruption is accepted or rejected cleanly, never a crash', () => {
    const base = Buffer.from(GOOD);
    fc.assert(fc.property(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 }), (i, b) => {
      const t = Buffer.from(base);
      t[i] = b;
      try {
        parseTrace(t);
      } catch (e) {
        expect(e).toBeInstanceOf(TraceFormatError);
        const err = e as TraceFormatError;
        expect(err.line).toBeGreaterThanOrEqual(1);
        expect(err.line).toBeLessThanOrEqual(16);
      }
    }), { numRuns: 2000 });
  });

  test('property: dropping the tail of a trace is always rejected', () => {
    fc.assert(fc.property(fc.nat({ max: GOOD.length - 2 }), (cut) => {
      expect(() => parseTrace(GOOD.slice(0, cut + 1))).toThrow(TraceFormatError);
    }));
  });
});

test('a long gzip trace leaves no listeners behind on the decompressor (no MaxListeners warning)', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => { warnings.push(`${w.name}: ${w.message}`); };
  process.on('warning', onWarning);
  try {
    let n = 0;
    // In 32 KiB pieces: each write fills the decompressor's buffer, so each one waits.
    const gz = readFileSync(new URL('../../fixtures/traces/churn.trace.gz', import.meta.url));
    const pieces: Buffer[] = [];
    for (let i = 0; i < gz.length; i += 32768) pieces.push(gz.subarray(i, i + 32768));
    expect(pieces.length).toBeGreaterThan(20);
    const r = await forEachTraceEvent(Readable.from(pieces), () => { n++; });
    expect(r.events).toBeGreaterThan(500_000);
    expect(n).toBeGreaterThan(r.events);
    // Warnings are emitted on the next tick.
    await new Promise((res) => setImmediate(res));
  } finally {
    process.off('warning', onWarning);
  }
  expect(warnings).toEqual([]);
});
