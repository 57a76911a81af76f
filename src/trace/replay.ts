/**
 * Replay a pytrace v1 trace through our pymalloc model and check that it returns exactly
 * the address CPython's pymalloc returned, for every MEM/OBJ request.
 *
 * pymalloc's placement is a pure function of the request sequence, the arena bases mmap
 * returned and the results of its own RAW calls. The first comes from the trace's
 * top-level MEM/OBJ lines; the other two from the nested (`^`) lines of each group, which
 * ReplayOS serves to the model in order. ReplayOS also checks that the model asks for
 * exactly the recorded nested calls (same kind, same arguments, same order, none missing,
 * none extra): a difference there is a replay mismatch like a wrong address.
 *
 * The model reaches ReplayOS through Runtime's RAW domain, the "malloc" allocator, which
 * turns a 0-byte RAW request into malloc(1) / calloc(1, 1) / realloc(p, 1) (fact sheet
 * 2.3). The trace records RAW calls at the domain level, so ReplayOS maps the recorded
 * arguments the same way before comparing.
 *
 * Not pymalloc, skipped after validation by the reader: top-level RAW lines (the RAW
 * domain's own callers) and top-level 16 KiB `A`/`X` lines (frame data-stack chunks that
 * 3.11 takes from the arena allocator).
 *
 * With statistics (PYTRACE_STATS), at every `# mark …` and `# phase after-runmain` line
 * our _PyObject_DebugMallocStats text must equal the recorded section byte for byte.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Runtime } from '../domains/runtime.ts';
import { SLOT_SIZE } from '../memory/address-space.ts';
import type { ArenaAllocator, LibC, OS } from '../memory/os.ts';
import { INDEX2SIZE, NUMBLOCKS, POOL_SIZE } from '../pymalloc/constants.ts';
import {
  NIL, poolOf, type PymallocState, PH_COUNT, PH_FREEBLOCK, PH_MAXNEXTOFFSET, PH_NEXTOFFSET, PH_NEXTPOOL, PH_SZIDX, PH_WORDS,
} from '../pymalloc/state.ts';
import { debugMallocStats } from '../pymalloc/stats.ts';
import {
  type AllocEvent, type CallEvent, formatEvent, forEachTraceEvent, isGzip, type TraceEvent,
  TraceFormatError, type TraceHeader, type TraceSource,
} from './reader.ts';

const hex = (a: number): string => a.toString(16);

/** A problem with the inputs that is not a model mismatch (unsupported trace, stats file that does not belong). */
export class ReplayInputError extends Error {
  constructor(readonly line: number, readonly reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = 'ReplayInputError';
  }
}

/** Thrown inside a model call when it asks ReplayOS for something the trace did not record. */
export class NestedCallMismatch extends Error {
  constructor(readonly reason: string, readonly expected: string, readonly actual: string) {
    super(reason);
    this.name = 'NestedCallMismatch';
  }
}

export type MismatchKind = 'result' | 'nested' | 'stats' | 'blocks' | 'model-error';

export interface ReplayMismatch {
  kind: MismatchKind;
  /** Trace line of the MEM/OBJ event (or of the checkpoint comment). */
  line: number;
  /** The trace line's text. */
  event: string;
  reason: string;
  expected: string;
  actual: string;
  /** A short dump of the model's allocator state after the failing call. */
  dump: string;
}

// ---------------------------------------------------------------------------------------
// ReplayOS

/**
 * The OS below the model during a replay. Before each MEM/OBJ call the replayer loads the
 * call's nested lines with expect(); the model's arena and C-library calls consume them in
 * order and get the recorded results.
 */
export class ReplayOS implements OS {
  private expected: AllocEvent[] = [];
  private next = 0;
  /** Nested calls served so far, over the whole replay. */
  served = 0;

  readonly arenas: ArenaAllocator = {
    alloc: (size: number): number => {
      const e = this.take(`A <addr> ${size} ^ (arena alloc of ${size} bytes)`);
      if (e.kind !== 'A' || e.size !== size) this.differ(e, `A <addr> ${size} ^ (arena alloc of ${size} bytes)`);
      return (e as { addr: number }).addr;
    },
    free: (addr: number, size: number): void => {
      const want = `X ${hex(addr)} ${size} ^ (arena free)`;
      const e = this.take(want);
      if (e.kind !== 'X' || e.addr !== addr || e.size !== size) this.differ(e, want);
    },
  };

  readonly libc: LibC = {
    malloc: (n: number): number => {
      const want = `m r ${n} <result> ^ (libc malloc(${n}))`;
      const e = this.take(want);
      if (e.kind !== 'm' || e.domain !== 'r' || nz(e.size) !== n) this.differ(e, want);
      return (e as { result: number }).result;
    },
    calloc: (nelem: number, elsize: number): number => {
      const want = `c r ${nelem} ${elsize} <result> ^ (libc calloc(${nelem}, ${elsize}))`;
      const e = this.take(want);
      if (e.kind !== 'c' || e.domain !== 'r') this.differ(e, want);
      const zero = e.nelem === 0 || e.elsize === 0;
      if ((zero ? 1 : e.nelem) !== nelem || (zero ? 1 : e.elsize) !== elsize) this.differ(e, want);
      return e.result;
    },
    realloc: (p: number, n: number): number => {
      const want = `r r ${hex(p)} ${n} <result> ^ (libc realloc(${hex(p)}, ${n}))`;
      const e = this.take(want);
      if (e.kind !== 'r' || e.domain !== 'r' || e.ptr !== p || nz(e.size) !== n) this.differ(e, want);
      return (e as { result: number }).result;
    },
    free: (p: number): void => {
      const want = `f r ${hex(p)} ^ (libc free)`;
      const e = this.take(want);
      if (e.kind !== 'f' || e.domain !== 'r' || e.ptr !== p) this.differ(e, want);
    },
  };

  /** Load the nested lines of the next MEM/OBJ call. */
  expect(nested: AllocEvent[]): void {
    this.expected = nested;
    this.next = 0;
  }

  /** After the call: every recorded nested line must have been asked for. */
  checkDone(): void {
    if (this.next < this.expected.length) {
      const e = this.expected[this.next];
      throw new NestedCallMismatch(
        `the model made ${this.next} nested call(s) but the trace records ${this.expected.length}; line ${e.line} was not asked for`,
        `line ${e.line}: ${formatEvent(e)}`, '(no further call)');
    }
    this.expected = [];
    this.next = 0;
  }

  private take(want: string): AllocEvent {
    if (this.next >= this.expected.length) {
      throw new NestedCallMismatch(
        `the model made a nested call the trace does not record (it records ${this.expected.length} for this call)`,
        '(no nested call)', want);
    }
    this.served++;
    return this.expected[this.next++];
  }

  private differ(e: AllocEvent, want: string): never {
    throw new NestedCallMismatch(`nested call ${this.next} differs from trace line ${e.line}`, `line ${e.line}: ${formatEvent(e)}`, want);
  }
}

/** What the "malloc" allocator passes to the C library for a RAW size. */
function nz(n: number): number {
  return n === 0 ? 1 : n;
}

// ---------------------------------------------------------------------------------------
// Statistics file

export interface StatsSection {
  /** Text after `### `. */
  label: string;
  /** Line of the `### ` heading in the stats file. */
  line: number;
  /** The section body, every line `\n`-terminated. */
  text: string;
}

/** Split a PYTRACE_STATS file into its `### <label>` sections. */
export function parseStatsFile(content: string): StatsSection[] {
  const sections: StatsSection[] = [];
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let cur: StatsSection | null = null;
  let body: string[] = [];
  const close = (): void => {
    if (cur !== null) {
      cur.text = body.length > 0 ? `${body.join('\n')}\n` : '';
      sections.push(cur);
    }
  };
  lines.forEach((l, i) => {
    if (l.startsWith('### ')) {
      close();
      cur = { label: l.slice(4), line: i + 1, text: '' };
      body = [];
    } else if (cur === null) {
      throw new ReplayInputError(i + 1, "stats file: text before the first '### <label>' heading");
    } else body.push(l);
  });
  close();
  return sections;
}

export function readStatsFile(path: string): StatsSection[] {
  const raw = readFileSync(path);
  return parseStatsFile((isGzip(raw) ? gunzipSync(raw) : raw).toString('latin1'));
}

/** A trace comment that has a statistics checkpoint. */
export function isCheckpoint(text: string): boolean {
  return text.startsWith('mark ') || text === 'phase after-runmain' || text.startsWith('phase after-runmain ');
}

/** First differing line of two texts, for messages. */
function firstDifference(expected: string, actual: string): { index: number; expected: string; actual: string } {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return { index: i, expected: a[i] ?? '(end of section)', actual: b[i] ?? '(end of text)' };
  }
  return { index: -1, expected: '', actual: '' };
}

// ---------------------------------------------------------------------------------------
// State dump

/** A short description of the model's allocator state, for mismatch reports. */
export function dumpState(s: PymallocState, addrs: number[], sizeClass = -1): string {
  const out: string[] = [];
  const usable: string[] = [];
  let n = 0;
  for (let a = s.usable_arenas; a !== NIL && n < 1000; a = s.nextarena[a], n++) {
    if (n < 12) usable.push(`#${a} ${hex(s.address[a])} nfreepools=${s.nfreepools[a]}/${s.ntotalpools[a]}`);
  }
  out.push(`arenas: ${s.narenas_currently_allocated} allocated (total ${s.ntimes_arena_allocated}, highwater ${s.narenas_highwater}), vector of ${s.maxarenas}`);
  out.push(`usable_arenas (head first): ${n === 0 ? '(empty)' : usable.join(', ') + (n > 12 ? `, ... (${n} in all)` : '')}`);
  if (sizeClass >= 0 && sizeClass < 32) {
    const head = s.ph[sizeClass * PH_WORDS + PH_NEXTPOOL];
    let len = 0;
    for (let p = head; p !== sizeClass && len < 100000; p = s.ph[p * PH_WORDS + PH_NEXTPOOL]) len++;
    out.push(`usedpools[${sizeClass}] (${INDEX2SIZE(sizeClass)} B): ${head === sizeClass ? 'empty' : `head pool ${hex(poolAddress(s, head))}, ${len} pool(s)`}`);
  }
  const seen = new Set<number>();
  for (const addr of addrs) {
    if (addr === 0 || seen.has(addr)) continue;
    seen.add(addr);
    out.push(`${hex(addr)}: ${describeAddress(s, addr)}`);
  }
  return out.join('\n');
}

function poolAddress(s: PymallocState, pool: number): number {
  const ao = Math.floor((pool - 32) * POOL_SIZE / SLOT_SIZE);
  return s.space.slotBase[ao] + ((pool - 32) * POOL_SIZE - ao * SLOT_SIZE);
}

function describeAddress(s: PymallocState, addr: number): string {
  const ao = s.tree.arenaOf(addr);
  if (ao < 0) return 'not in any arena of the model';
  const off = ao * SLOT_SIZE + (addr - s.space.slotBase[ao]);
  const pool = poolOf(off);
  const first = poolOf(ao * SLOT_SIZE + (s.address[ao] % POOL_SIZE !== 0 ? POOL_SIZE : 0));
  const carvedEnd = poolOf(s.pool_address[ao]);
  const where = `arena #${ao} ${hex(s.address[ao])}, pool ${hex(poolAddress(s, pool))} (#${pool - first} of ${s.ntotalpools[ao]})`;
  if (pool < first) return `${where}: in the arena's alignment slack`;
  if (pool >= carvedEnd) return `${where}: pool not carved yet (arena has carved ${carvedEnd - first})`;
  const c = s.ph[pool * PH_WORDS + PH_SZIDX];
  const size = c < 32 ? INDEX2SIZE(c) : 0;
  let state: string;
  if (s.ph[pool * PH_WORDS + PH_COUNT] === 0) state = 'empty (cached on freepools)';
  else if (s.ph[pool * PH_WORDS + PH_FREEBLOCK] === 0) state = 'full';
  else {
    let k = 0;
    for (let p = s.ph[c * PH_WORDS + PH_NEXTPOOL]; p !== c && p !== pool && k < 100000; p = s.ph[p * PH_WORDS + PH_NEXTPOOL]) k++;
    state = `used, position ${k} on usedpools[${c}]`;
  }
  const inPool = (off % POOL_SIZE) - 48;
  const block = size > 0 && inPool >= 0 && inPool % size === 0 ? `block ${inPool / size}` : 'not on the block grid';
  const fb = s.ph[pool * PH_WORDS + PH_FREEBLOCK] === 0 ? '0' : hex(poolAddress(s, poolOf(s.ph[pool * PH_WORDS + PH_FREEBLOCK])) + (s.ph[pool * PH_WORDS + PH_FREEBLOCK] % POOL_SIZE));
  return `${where}: szidx=${c}${size ? ` (${size} B)` : ''} count=${s.ph[pool * PH_WORDS + PH_COUNT]}/${size ? NUMBLOCKS(c) : '?'} ${state}; `
    + `freeblock=${fb} nextoffset=${s.ph[pool * PH_WORDS + PH_NEXTOFFSET]} maxnextoffset=${s.ph[pool * PH_WORDS + PH_MAXNEXTOFFSET]}; ${block}`;
}

// ---------------------------------------------------------------------------------------
// Replayer

export interface ReplayOptions {
  /** Statistics sections to compare at each checkpoint (from PYTRACE_STATS). */
  stats?: StatsSection[];
  /** Called every `progressEvery` event lines with the current line number. */
  onProgress?: (line: number) => void;
  progressEvery?: number;
}

export interface ReplaySummary {
  ok: boolean;
  /** Event lines in the trace (the `# end events=` count) or read so far. */
  events: number;
  lines: number;
  /** Top-level MEM/OBJ calls replayed through the model. */
  memobjCalls: number;
  /** malloc/calloc/realloc results compared with the recorded address. */
  resultsCompared: number;
  /** Nested RAW/arena calls the model made and that matched the trace. */
  nestedServed: number;
  /** Top-level lines skipped as not pymalloc (RAW calls, 16 KiB chunks). */
  skipped: number;
  checkpoints: { compared: number; matched: number; total: number };
  /** `allocated_blocks=` of `# phase after-runmain` compared with the model's count. */
  allocatedBlocksChecked: boolean;
  mismatches: number;
  mismatch?: ReplayMismatch;
  header?: TraceHeader;
}

/** Feeds events one at a time; stops (ok = false) at the first mismatch. */
export class Replayer {
  readonly os = new ReplayOS();
  readonly rt: Runtime;
  events = 0;
  memobjCalls = 0;
  resultsCompared = 0;
  skipped = 0;
  checkpointsCompared = 0;
  checkpointsMatched = 0;
  mismatch: ReplayMismatch | null = null;
  header: TraceHeader | null = null;
  /** Whether the after-runmain allocated_blocks count was compared. */
  blocksChecked = false;
  private pending: AllocEvent[] = [];
  private statsIndex = 0;

  constructor(private readonly opts: ReplayOptions = {}) {
    this.rt = new Runtime({ mode: 'pymalloc', os: () => this.os });
  }

  get pymallocState(): PymallocState {
    return this.rt.pymalloc.s;
  }

  /** Handle one event; returns false once a mismatch has been found. */
  feed(e: TraceEvent): boolean {
    if (this.mismatch !== null) return false;
    if (e.kind === '#') {
      if (e.line === 1) this.checkHeader(e.text);
      else {
        if (this.opts.stats !== undefined && isCheckpoint(e.text)) this.checkpoint(e.line, e.text);
        if (this.mismatch === null && e.text.startsWith('phase after-runmain ')) this.checkAllocatedBlocks(e.line, e.text);
      }
      return this.mismatch === null;
    }
    this.events++;
    if (e.nested) {
      this.pending.push(e);
      return true;
    }
    if (e.kind === 'A' || e.kind === 'X') {
      if (e.size !== 16384) {
        throw new ReplayInputError(e.line, `top-level ${e.kind} of ${e.size} bytes: pymalloc arenas are nested; only 16384-byte frame data-stack chunks are top-level`);
      }
      this.skipped++;
      return true;
    }
    if (e.domain === 'r') {
      this.skipped++;
      return true;
    }
    const nested = this.pending;
    this.pending = [];
    this.call(e, nested);
    return this.mismatch === null;
  }

  private checkHeader(text: string): void {
    const f: Record<string, string> = {};
    for (const w of text.split(' ')) {
      const i = w.indexOf('=');
      if (i > 0) f[w.slice(0, i)] = w.slice(i + 1);
    }
    const why = (r: string): never => { throw new ReplayInputError(1, r); };
    if (f.allocator !== 'pymalloc') why(`cannot replay allocator=${f.allocator}: the replay models plain pymalloc (record without PYTHONMALLOC, -X dev or debug hooks)`);
    if (f.ptr_bits !== '64') why(`cannot replay ptr_bits=${f.ptr_bits}: the model is 64-bit`);
    if (f.pre_hook_arenas !== '0' || f.pre_hook_blocks !== '0') {
      why(`pymalloc was not pristine when the hooks went in (pre_hook_arenas=${f.pre_hook_arenas} pre_hook_blocks=${f.pre_hook_blocks})`);
    }
    if (f.python !== undefined && !f.python.startsWith('3.11')) why(`python=${f.python}: the model is CPython 3.11's pymalloc`);
  }

  private call(e: CallEvent, nested: AllocEvent[]): void {
    const rt = this.rt;
    this.memobjCalls++;
    this.os.expect(nested);
    let actual = 0;
    try {
      switch (e.kind) {
        case 'm': actual = rt.malloc(e.domain, e.size); break;
        case 'c': actual = rt.calloc(e.domain, e.nelem, e.elsize); break;
        case 'r': actual = rt.realloc(e.domain, e.ptr, e.size); break;
        case 'f': rt.free(e.domain, e.ptr); break;
      }
      this.os.checkDone();
    } catch (err) {
      if (!(err instanceof NestedCallMismatch)) {
        // The model itself failed (e.g. a capacity limit): CPython did not.
        this.mismatch = {
          kind: 'model-error', line: e.line, event: formatEvent(e),
          reason: `the model threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
          expected: e.kind === 'f' ? '(free)' : hex(e.result), actual: '(exception)',
          dump: dumpState(this.pymallocState, eventAddresses(e), requestClass(e)),
        };
        return;
      }
      this.mismatch = {
        kind: 'nested', line: e.line, event: formatEvent(e),
        reason: `${err.reason} (the model's call was interrupted there)`,
        expected: err.expected, actual: err.actual,
        dump: dumpState(this.pymallocState, eventAddresses(e), requestClass(e)),
      };
      return;
    }
    if (e.kind === 'f') return;
    this.resultsCompared++;
    if (actual !== e.result) {
      this.mismatch = {
        kind: 'result', line: e.line, event: formatEvent(e),
        reason: 'the model returned a different address',
        expected: hex(e.result), actual: hex(actual),
        dump: dumpState(this.pymallocState, [e.result, actual, ...eventAddresses(e)], requestClass(e)),
      };
    }
  }

  private checkpoint(line: number, text: string): void {
    const sections = this.opts.stats!;
    const sec = sections[this.statsIndex];
    if (sec === undefined) {
      throw new ReplayInputError(line, `checkpoint '# ${text}' but the stats file has only ${sections.length} section(s)`);
    }
    if (!(text === sec.label || text.startsWith(`${sec.label} `))) {
      throw new ReplayInputError(line, `checkpoint '# ${text}' does not match stats section '### ${sec.label}' (stats line ${sec.line}): the stats file belongs to another trace`);
    }
    this.statsIndex++;
    this.checkpointsCompared++;
    const ours = debugMallocStats(this.pymallocState);
    if (ours === sec.text) {
      this.checkpointsMatched++;
      return;
    }
    const d = firstDifference(sec.text, ours);
    this.mismatch = {
      kind: 'stats', line, event: `# ${text}`,
      reason: `statistics differ from section '### ${sec.label}' at stats line ${sec.line + 1 + d.index}`,
      expected: d.expected, actual: d.actual,
      dump: dumpState(this.pymallocState, []),
    };
  }

  /**
   * `# phase after-runmain (exitcode=N allocated_blocks=N)` carries CPython's
   * _Py_GetAllocatedBlocks(): raw-fallback blocks plus blocks in use in every pool.
   */
  private checkAllocatedBlocks(line: number, text: string): void {
    const m = /\ballocated_blocks=(\d+)/.exec(text);
    if (m === null) return;
    this.blocksChecked = true;
    const ours = this.rt.pymalloc.allocatedBlocks();
    if (ours === Number(m[1])) return;
    this.mismatch = {
      kind: 'blocks', line, event: `# ${text}`,
      reason: '_Py_GetAllocatedBlocks() differs (raw_allocated_blocks + blocks in use in pools)',
      expected: m[1], actual: String(ours),
      dump: `raw_allocated_blocks=${this.pymallocState.raw_allocated_blocks}\n${dumpState(this.pymallocState, [])}`,
    };
  }

  /** End of trace: every stats section must have been used. */
  finish(): void {
    if (this.mismatch !== null || this.opts.stats === undefined) return;
    const rest = this.opts.stats.length - this.statsIndex;
    if (rest > 0) {
      const sec = this.opts.stats[this.statsIndex];
      throw new ReplayInputError(0, `the stats file has ${rest} section(s) more than the trace has checkpoints, from '### ${sec.label}' (stats line ${sec.line})`);
    }
  }

  summary(lines: number, header?: TraceHeader): ReplaySummary {
    return {
      ok: this.mismatch === null,
      events: this.events,
      lines,
      memobjCalls: this.memobjCalls,
      resultsCompared: this.resultsCompared,
      nestedServed: this.os.served,
      skipped: this.skipped,
      checkpoints: {
        compared: this.checkpointsCompared,
        matched: this.checkpointsMatched,
        total: this.opts.stats?.length ?? 0,
      },
      allocatedBlocksChecked: this.blocksChecked,
      mismatches: this.mismatch === null ? 0 : 1,
      ...(this.mismatch !== null ? { mismatch: this.mismatch } : {}),
      ...(header !== undefined ? { header } : {}),
    };
  }
}

function eventAddresses(e: CallEvent): number[] {
  return e.kind === 'r' || e.kind === 'f' ? [e.ptr] : [];
}

function requestClass(e: CallEvent): number {
  const n = e.kind === 'c' ? e.nelem * e.elsize : e.kind === 'f' ? 0 : e.size;
  return n >= 1 && n <= 512 ? (n - 1) >> 4 : -1;
}

/**
 * Replay a whole trace. Resolves with the summary (ok = false and `mismatch` set at the
 * first mismatch); rejects with TraceFormatError (malformed or truncated trace) or
 * ReplayInputError (trace cannot be replayed, stats file does not belong to it).
 *
 * After a mismatch the rest of the trace is still read and validated (not replayed), so
 * a truncated or malformed trace is always reported as such.
 */
export async function replayTrace(source: TraceSource, opts: ReplayOptions = {}): Promise<ReplaySummary> {
  return runReplay(new Replayer(opts), source, opts);
}

/** replayTrace with a given Replayer, whose model state the caller can inspect afterwards. */
export async function runReplay(r: Replayer, source: TraceSource, opts: ReplayOptions = {}): Promise<ReplaySummary> {
  const every = opts.progressEvery ?? 65536;
  const progress = opts.onProgress;
  const res = await forEachTraceEvent(source, (e) => {
    if (r.feed(e) && progress !== undefined && (e.line % every) === 0) progress(e.line);
  });
  r.finish();
  return r.summary(res.lines, res.header);
}

export { TraceFormatError };
