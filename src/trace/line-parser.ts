/**
 * The byte-level pytrace v1 line parser: chunks of decompressed trace bytes go in, event
 * records come out, with no copying beyond a partial last line.
 *
 * Validation is strict. Any of the following raises a TraceFormatError naming the line
 * and the reason, and nothing after it is passed on:
 *  - line 1 is not a `# pytrace v1 ` header carrying every required field;
 *  - a line is empty, not `\n`-terminated, not a `# ` comment and not an event line of
 *    exactly the grammar (single spaces, lowercase hex without 0x, decimal sizes,
 *    optional ` ^` then optional ` t<N>`), or an address above 2^53;
 *  - nesting is broken: a nested (`^`) line that is not RAW or arena, nested lines not
 *    directly followed by a MEM/OBJ outer line of the same thread, a comment or another
 *    thread's line inside a group, or the trace ending inside a group;
 *  - the `# end events=N reason=… exitcode=N` line is missing (truncated trace), is
 *    malformed, is followed by anything, or N differs from the number of event lines.
 *
 * Sizes above 2^53 (possible only for requests the C library refused) are kept as the
 * nearest double; both sides of every comparison go through the same conversion.
 */
import {
  type AllocEvent, type Domain, REQUIRED_HEADER_FIELDS, type TraceEnd, type TraceEvent, TraceFormatError, type TraceHeader,
} from './events.ts';

const NL = 10;
const SP = 32;
const HASH = 35;
const CARET = 94;
const LOWER_T = 116;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Hex digit value of byte b, or -1. Lowercase only, as the format says. */
function hexVal(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  if (b >= 97 && b <= 102) return b - 87;
  return -1;
}

/**
 * Incremental parser: push() chunks of trace bytes, finish() at end of input. Events go to
 * `sink` in file order. Throws TraceFormatError at the first problem.
 */
export class TraceParser {
  header: TraceHeader | null = null;
  end: TraceEnd | null = null;
  /** Event lines (not comments) seen so far. */
  events = 0;
  /** Lines seen so far. */
  lines = 0;

  private carry: Uint8Array | null = null;
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private lineEnd = 0;
  /** Open nested group: its thread, first line, or -1 if none. */
  private groupThread = -1;
  private groupLine = 0;
  private finished = false;

  constructor(private readonly sink: (e: TraceEvent) => void) {}

  push(chunk: Uint8Array): void {
    if (this.finished) throw new Error('TraceParser: push after finish');
    let data = chunk;
    if (this.carry !== null) {
      const joined = new Uint8Array(this.carry.length + chunk.length);
      joined.set(this.carry, 0);
      joined.set(chunk, this.carry.length);
      data = joined;
      this.carry = null;
    }
    let start = 0;
    const n = data.length;
    for (;;) {
      const nl = data.indexOf(NL, start);
      if (nl < 0) break;
      this.parseLine(data, start, nl);
      start = nl + 1;
    }
    if (start < n) this.carry = data.slice(start);
  }

  /** End of input: reject an unterminated last line, an open group or a missing `# end`. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.carry !== null && this.carry.length > 0) {
      throw new TraceFormatError(this.lines + 1, 'truncated: last line has no terminating newline');
    }
    if (this.lines === 0) throw new TraceFormatError(1, 'empty trace (no header line)');
    if (this.groupThread >= 0) {
      throw new TraceFormatError(this.lines, `truncated: trace ends inside the nested group that began at line ${this.groupLine}`);
    }
    if (this.end === null) throw new TraceFormatError(this.lines, "truncated: no '# end' line");
  }

  private fail(reason: string): never {
    throw new TraceFormatError(this.lines, reason);
  }

  private parseLine(d: Uint8Array, s: number, e: number): void {
    const line = ++this.lines;
    if (this.end !== null) this.fail(`line after the '# end' line (at ${this.end.line})`);
    if (e === s) this.fail('empty line');
    if (d[s] === HASH) {
      this.comment(d, s, e, line);
      return;
    }
    if (line === 1) this.fail("not a pytrace v1 trace: line 1 is not '# pytrace v1 ...'");
    this.buf = d;
    this.pos = s;
    this.lineEnd = e;
    const k = d[s];
    let ev: AllocEvent;
    if (k === 65 /* A */ || k === 88 /* X */) {
      this.expectSpace(s + 1);
      const addr = this.hex('address');
      this.space();
      const size = this.dec('size');
      ev = k === 65 ? { kind: 'A', line, nested: false, thread: 0, addr, size } : { kind: 'X', line, nested: false, thread: 0, addr, size };
    } else {
      if (e - s < 3 || d[s + 1] !== SP || d[s + 3] !== SP) this.fail(`malformed event line '${this.text(s, e)}'`);
      const dc = d[s + 2];
      const domain: Domain = dc === 114 ? 'r' : dc === 109 ? 'm' : dc === 111 ? 'o' : this.fail(`unknown domain '${String.fromCharCode(dc)}' in '${this.text(s, e)}'`);
      this.pos = s + 4;
      switch (k) {
        case 109: { // m
          const size = this.dec('size');
          this.space();
          const result = this.hex('result');
          ev = { kind: 'm', line, nested: false, thread: 0, domain, size, result };
          break;
        }
        case 99: { // c
          const nelem = this.dec('nelem');
          this.space();
          const elsize = this.dec('elsize');
          this.space();
          const result = this.hex('result');
          ev = { kind: 'c', line, nested: false, thread: 0, domain, nelem, elsize, result };
          break;
        }
        case 114: { // r
          const ptr = this.hex('old pointer');
          this.space();
          const size = this.dec('size');
          this.space();
          const result = this.hex('result');
          ev = { kind: 'r', line, nested: false, thread: 0, domain, ptr, size, result };
          break;
        }
        case 102: { // f
          const ptr = this.hex('pointer');
          ev = { kind: 'f', line, nested: false, thread: 0, domain, ptr };
          break;
        }
        default:
          this.fail(`unknown event kind '${String.fromCharCode(k)}' in '${this.text(s, e)}'`);
      }
    }
    this.tags(ev);
    this.events++;
    this.group(ev);
    this.sink(ev);
  }

  /** Optional tags: ` ^` then ` t<N>`, nothing else, in that order. */
  private tags(ev: AllocEvent): void {
    const d = this.buf;
    const e = this.lineEnd;
    if (this.pos === e) return;
    this.space();
    if (d[this.pos] === CARET) {
      ev.nested = true;
      this.pos++;
      if (this.pos === e) return;
      this.space();
    }
    if (d[this.pos] !== LOWER_T) this.fail(`unexpected text '${this.text(this.pos, e)}' after the fields`);
    this.pos++;
    if (this.pos === e || d[this.pos] === 48 /* no leading zero, no t0 */) this.fail(`bad thread tag in '${this.text(this.pos - 1, e)}'`);
    let n = 0;
    while (this.pos < e) {
      const b = d[this.pos];
      if (b < 48 || b > 57) this.fail(`bad thread tag '${this.text(this.lineStartOfTag(), e)}'`);
      n = n * 10 + (b - 48);
      if (n > 1e9) this.fail('thread number out of range');
      this.pos++;
    }
    ev.thread = n;
  }

  private lineStartOfTag(): number {
    let p = this.pos;
    while (p > 0 && this.buf[p - 1] !== SP) p--;
    return p;
  }

  /** Nesting rules (pytrace-v1 "Ordering"). */
  private group(ev: AllocEvent): void {
    const memobj = ev.kind !== 'A' && ev.kind !== 'X' && ev.domain !== 'r';
    if (ev.nested) {
      if (memobj) this.fail('a MEM/OBJ line is tagged nested (^); only RAW and arena lines can be nested');
      if (this.groupThread < 0) {
        this.groupThread = ev.thread;
        this.groupLine = ev.line;
      } else if (this.groupThread !== ev.thread) {
        this.fail(`nested line of thread ${ev.thread} inside the group of thread ${this.groupThread} that began at line ${this.groupLine}`);
      }
      return;
    }
    if (this.groupThread >= 0) {
      if (this.groupThread !== ev.thread) {
        this.fail(`the nested group that began at line ${this.groupLine} (thread ${this.groupThread}) is closed by a line of thread ${ev.thread}`);
      }
      if (!memobj) this.fail(`the nested group that began at line ${this.groupLine} is closed by a RAW or arena line; only MEM/OBJ calls have nested lines`);
      this.groupThread = -1;
    }
  }

  private comment(d: Uint8Array, s: number, e: number, line: number): void {
    if (e - s < 2 || d[s + 1] !== SP) this.fail("comment line does not begin with '# '");
    if (this.groupThread >= 0) this.fail(`comment inside the nested group that began at line ${this.groupLine}`);
    this.buf = d;
    const text = e - s > 2 ? Buffer.from(d.buffer, d.byteOffset + s + 2, e - s - 2).toString('latin1') : '';
    if (line === 1) this.header = parseHeader(text, line);
    else if (text.startsWith('end ') || text === 'end') this.end = this.parseEnd(text, line);
    this.sink({ kind: '#', line, text });
  }

  private parseEnd(text: string, line: number): TraceEnd {
    const m = /^end events=(\d+) reason=(runmain|exit|init-exit|abort) exitcode=(-?\d+)$/.exec(text);
    if (m === null) this.fail(`malformed end line '# ${text}'`);
    const events = Number(m[1]);
    if (events !== this.events) this.fail(`'# end' says events=${events} but the trace has ${this.events} event lines`);
    return { line, events, reason: m[2], exitcode: Number(m[3]) };
  }

  /** Bytes [s, e) of the current line as text (latin1), cut at 200 characters. */
  private text(s: number, e: number): string {
    const stop = Math.min(e, s + 200);
    const out = Buffer.from(this.buf.buffer, this.buf.byteOffset + s, stop - s).toString('latin1');
    return e > stop ? `${out}...` : out;
  }

  private expectSpace(p: number): void {
    if (p >= this.lineEnd || this.buf[p] !== SP) this.fail(`malformed event line '${this.text(this.lineStartFrom(p), this.lineEnd)}'`);
    this.pos = p + 1;
  }

  private lineStartFrom(p: number): number {
    let q = p;
    while (q > 0 && this.buf[q - 1] !== NL) q--;
    return q;
  }

  private space(): void {
    this.expectSpace(this.pos);
  }

  /** Lowercase hex, 1..16 digits, at most 2^53. */
  private hex(what: string): number {
    const d = this.buf;
    const e = this.lineEnd;
    let p = this.pos;
    let v = 0;
    const start = p;
    while (p < e) {
      const h = hexVal(d[p]);
      if (h < 0) break;
      v = v * 16 + h;
      p++;
    }
    if (p === start || (p < e && d[p] !== SP)) this.fail(`bad ${what} in '${this.text(this.lineStartFrom(start), e)}' (lowercase hex without 0x expected)`);
    if (p - start > 16) this.fail(`${what} has more than 16 hex digits`);
    if (v > MAX_SAFE) this.fail(`${what} ${this.text(start, p)} is above 2^53 and cannot be represented exactly`);
    this.pos = p;
    return v;
  }

  /** Decimal, 1..20 digits (up to 2^64 - 1). */
  private dec(what: string): number {
    const d = this.buf;
    const e = this.lineEnd;
    let p = this.pos;
    let v = 0;
    const start = p;
    while (p < e) {
      const b = d[p];
      if (b < 48 || b > 57) break;
      v = v * 10 + (b - 48);
      p++;
    }
    if (p === start || (p < e && d[p] !== SP)) this.fail(`bad ${what} in '${this.text(this.lineStartFrom(start), e)}' (decimal expected)`);
    if (p - start > 20 || v > 18446744073709551615) this.fail(`${what} is above 2^64 - 1`);
    this.pos = p;
    return v;
  }
}

/** Parse the text of line 1 after `# `. */
export function parseHeader(text: string, line = 1): TraceHeader {
  if (!text.startsWith('pytrace v1 ') && text !== 'pytrace v1') {
    throw new TraceFormatError(line, "not a pytrace v1 trace: line 1 is not '# pytrace v1 ...'");
  }
  const fields: Record<string, string> = {};
  for (const word of text.slice('pytrace v1'.length).split(' ')) {
    if (word === '') continue;
    const i = word.indexOf('=');
    if (i <= 0) throw new TraceFormatError(line, `header word '${word}' is not key=value`);
    fields[word.slice(0, i)] = word.slice(i + 1);
  }
  for (const k of REQUIRED_HEADER_FIELDS) {
    if (!(k in fields)) throw new TraceFormatError(line, `header lacks ${k}=`);
  }
  return {
    python: fields.python, hexversion: fields.hexversion, allocator: fields.allocator,
    pre_hook_arenas: fields.pre_hook_arenas, pre_hook_blocks: fields.pre_hook_blocks,
    PYTHONMALLOC: fields.PYTHONMALLOC, PYTHONHASHSEED: fields.PYTHONHASHSEED,
    aslr: fields.aslr, ptr_bits: fields.ptr_bits, fields,
  };
}
