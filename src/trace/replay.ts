/**
 * Replay a pytrace v1 trace through our pymalloc model and check that it returns exactly
 * the address CPython's pymalloc returned, for every MEM/OBJ request.
 *
 * pymalloc's placement is a pure function of the request sequence, the arena bases mmap
 * returned and the results of its own RAW calls. The first comes from the trace's
 * top-level MEM/OBJ lines; the other two from the nested (`^`) lines of each group, which
 * ReplayOS (replay-os.ts) serves to the model in order and checks as it goes: a nested
 * call the trace did not record is a replay mismatch like a wrong address.
 *
 * Not pymalloc, skipped after validation by the reader: top-level RAW lines (the RAW
 * domain's own callers) and top-level 16 KiB `A`/`X` lines (frame data-stack chunks that
 * 3.11 takes from the arena allocator).
 *
 * With statistics (PYTRACE_STATS), at every `# mark …` and `# phase after-runmain` line
 * our _PyObject_DebugMallocStats text must equal the recorded section byte for byte.
 *
 * Traces recorded under the debug hooks (allocator=pymalloc_debug, what PYTHONMALLOC=debug
 * and -X dev select in a release build, or malloc_debug) are replayed through our debug
 * hooks (src/debug) over our pymalloc or over the C library, as PyMem_SetupDebugHooks
 * leaves the domains. The recorder wraps the hooks, so a MEM/OBJ line is the hooks' call:
 * under pymalloc_debug pymalloc sees N + 24 bytes and its RAW fallback is itself a
 * debug-hooked RAW call (ReplayOS maps those lines to the C library's view); under
 * malloc_debug the hooks call the C library directly, with no line of its own, so the
 * outer line is what the C library is checked against, and pymalloc is not used at all
 * (its statistics are empty, as _PyObject_DebugMallocStats prints nothing then).
 *
 * This module is the driver: the statistics file, the Replayer that feeds events to the
 * model and compares, and replayTrace. Mismatch reports and their state dump are in
 * mismatch-report.ts.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { installDebugHooks } from '../debug/debug-hooks.ts';
import { FatalError } from '../debug/fatal.ts';
import type { AllocatorMode } from '../domains/allocator.ts';
import { Runtime } from '../domains/runtime.ts';
import type { PymallocState } from '../pymalloc/state.ts';
import { debugMallocStats } from '../pymalloc/stats.ts';
import { dumpState, eventAddresses, firstDifference, type ReplayMismatch, requestClass } from './mismatch-report.ts';
import { parseAbortedCall } from './events.ts';
import {
  type AllocEvent, type CallEvent, formatEvent, forEachTraceEvent, isGzip, type TraceEvent,
  TraceFormatError, type TraceHeader, type TraceSource,
} from './reader.ts';
import { NestedCallMismatch, ReplayOS } from './replay-os.ts';
import { DEFAULT_PROFILE, profileOf, unverifiedMessage, type VersionProfile } from '../../spec/versions.ts';

export { dumpState, type MismatchKind, type ReplayMismatch } from './mismatch-report.ts';
export { NestedCallMismatch, ReplayOS } from './replay-os.ts';

const hex = (a: number): string => a.toString(16);

/** A problem with the inputs that is not a model mismatch (unsupported trace, stats file that does not belong). */
export class ReplayInputError extends Error {
  constructor(readonly line: number, readonly reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = 'ReplayInputError';
  }
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

/**
 * A trace comment that has a statistics checkpoint. After Py_RunMain there is one only
 * where the version's statistics outlive the interpreter (3.11; not 3.12+).
 */
export function isCheckpoint(text: string, profile: VersionProfile = DEFAULT_PROFILE): boolean {
  if (text.startsWith('mark ')) return true;
  return profile.recorder.statsAfterRunmain && (text === 'phase after-runmain' || text.startsWith('phase after-runmain '));
}

// ---------------------------------------------------------------------------------------
// Replayer

export interface ReplayOptions {
  /** Statistics sections to compare at each checkpoint (from PYTRACE_STATS). */
  stats?: StatsSection[];
  /** Called every `progressEvery` event lines with the current line number. */
  onProgress?: (line: number) => void;
  progressEvery?: number;
  /** Watches the model's state as the replay goes (e.g. the HTML report, src/report/). */
  observer?: ReplayObserver;
}

/**
 * An optional watcher of the replay, kept off the per-event path: it is called every
 * `interval` events (read again after each sample, so it may grow), after a top-level
 * call that had nested lines (the only calls in which arenas come and go), and at every
 * comment line. It reads Replayer.pymallocState; it must not change it.
 */
export interface ReplayObserver {
  interval: number;
  sample(events: number, line: number): void;
  afterNested(events: number, line: number): void;
  comment(text: string, line: number, events: number): void;
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
  /** `# abort in-call` (reason=abort): its line (0: none) and whether our debug hooks stopped there too. */
  abort: { line: number; reproduced: boolean };
  mismatches: number;
  mismatch?: ReplayMismatch;
  header?: TraceHeader;
}

/**
 * The `allocator=` values a replay can model, and the PYTHONMALLOC mode that sets the
 * domains up the same way. `debug` is recorded as pymalloc_debug in a release build.
 */
const REPLAYABLE: Record<string, AllocatorMode> = {
  pymalloc: 'pymalloc',
  pymalloc_debug: 'pymalloc_debug',
  malloc_debug: 'malloc_debug',
};

/** Feeds events one at a time; stops (ok = false) at the first mismatch. */
export class Replayer {
  readonly os = new ReplayOS();
  /** The simulated process; rebuilt for the trace's allocator when line 1 is read. */
  rt: Runtime;
  /**
   * MEM/OBJ calls go to the C library with no nested line (malloc_debug): the outer line
   * is also the C library's call.
   */
  private direct = false;
  /** C-library calls served from the outer line itself (malloc_debug), not nested lines. */
  private directServed = 0;
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
  /** Line of `# abort in-call …` (0: none), and whether our debug hooks stopped there too. */
  abortLine = 0;
  abortReproduced = false;
  private pending: AllocEvent[] = [];
  private statsIndex = 0;
  /** The verified version the trace's header names (spec/versions.ts). */
  profile: VersionProfile = DEFAULT_PROFILE;
  private readonly observer: ReplayObserver | null;
  private nextSample = 0;

  constructor(private readonly opts: ReplayOptions = {}) {
    this.rt = new Runtime({ mode: 'pymalloc', os: () => this.os });
    this.observer = opts.observer ?? null;
    this.nextSample = this.observer?.interval ?? 0;
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
        this.observer?.comment(e.text, e.line, this.events);
        if (this.opts.stats !== undefined && isCheckpoint(e.text, this.profile)) this.checkpoint(e.line, e.text);
        if (this.mismatch === null && e.text.startsWith('phase after-runmain ')) this.checkAllocatedBlocks(e.line, e.text);
        if (this.mismatch === null && e.text.startsWith('abort in-call ')) this.abortedCall(e.line, e.text.slice('abort in-call '.length));
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
    const obs = this.observer;
    if (obs !== null && this.mismatch === null) {
      if (nested.length !== 0) obs.afterNested(this.events, e.line);
      if (this.events >= this.nextSample) {
        obs.sample(this.events, e.line);
        this.nextSample = this.events + obs.interval;
      }
    }
    return this.mismatch === null;
  }

  private checkHeader(text: string): void {
    const f: Record<string, string> = {};
    for (const w of text.split(' ')) {
      const i = w.indexOf('=');
      if (i > 0) f[w.slice(0, i)] = w.slice(i + 1);
    }
    const why = (r: string): never => { throw new ReplayInputError(1, r); };
    const mode = Object.hasOwn(REPLAYABLE, f.allocator) ? REPLAYABLE[f.allocator] : undefined;
    if (mode === undefined) why(`cannot replay allocator=${f.allocator}: the replay models pymalloc, pymalloc_debug and malloc_debug (PYTHONMALLOC unset, debug, pymalloc_debug or malloc_debug)`);
    if (f.ptr_bits !== '64') why(`cannot replay ptr_bits=${f.ptr_bits}: the model is 64-bit`);
    if (f.pre_hook_arenas !== '0' || f.pre_hook_blocks !== '0') {
      why(`pymalloc was not pristine when the hooks went in (pre_hook_arenas=${f.pre_hook_arenas} pre_hook_blocks=${f.pre_hook_blocks})`);
    }
    this.profile = profileOf(f.python ?? '') ?? why(unverifiedMessage(f.python ?? ''));
    if (mode !== 'pymalloc') {
      this.rt = new Runtime({ mode, os: () => this.os, installHooks: installDebugHooks });
      this.os.debugRaw = true;
      this.direct = mode === 'malloc_debug';
    }
  }

  /** _PyMem_PymallocEnabled(): pymalloc serves the OBJ domain (under the hooks or not). */
  private get pymallocEnabled(): boolean {
    return !this.direct;
  }

  private call(e: CallEvent, nested: AllocEvent[]): void {
    const rt = this.rt;
    this.memobjCalls++;
    // malloc_debug: the hooks' C-library call is the outer line itself (none for free(NULL)).
    const own = this.direct && !(e.kind === 'f' && e.ptr === 0);
    this.os.expect(own ? [...nested, e] : nested);
    if (own) this.directServed++;
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

  /**
   * The process aborted inside this MEM/OBJ call (the recorder's `# abort in-call`). Under
   * the debug hooks that is a fatal error of the hooks, so ours must stop there too.
   * Without the hooks (a C library abort) there is nothing of ours to compare.
   */
  private abortedCall(line: number, call: string): void {
    const e = parseAbortedCall(line, call);
    this.abortLine = line;
    if (e === null || e.domain === 'r' || this.rt.mode === 'pymalloc') return;
    this.os.expect([]);
    try {
      switch (e.kind) {
        case 'm': this.rt.malloc(e.domain, e.size); break;
        case 'c': this.rt.calloc(e.domain, e.nelem, e.elsize); break;
        case 'r': this.rt.realloc(e.domain, e.ptr, e.size); break;
        case 'f': this.rt.free(e.domain, e.ptr); break;
      }
    } catch (err) {
      if (err instanceof FatalError) {
        this.abortReproduced = true;
        return;
      }
    }
    this.mismatch = {
      kind: 'abort', line, event: `# abort in-call ${call}`,
      reason: "CPython's debug hooks aborted the process in this call; ours did not (damage the trace does not record, such as a write outside a block?)",
      expected: 'Fatal Python error (abort)', actual: 'no fatal error',
      dump: dumpState(this.pymallocState, eventAddresses(e), requestClass(e)),
    };
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
    const ours = this.pymallocEnabled ? debugMallocStats(this.pymallocState) : '';
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
      nestedServed: this.os.served - this.directServed,
      skipped: this.skipped,
      checkpoints: {
        compared: this.checkpointsCompared,
        matched: this.checkpointsMatched,
        total: this.opts.stats?.length ?? 0,
      },
      allocatedBlocksChecked: this.blocksChecked,
      abort: { line: this.abortLine, reproduced: this.abortReproduced },
      mismatches: this.mismatch === null ? 0 : 1,
      ...(this.mismatch !== null ? { mismatch: this.mismatch } : {}),
      ...(header !== undefined ? { header } : {}),
    };
  }
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
