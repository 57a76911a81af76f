/**
 * `objimpl check TRACE`: check any pytrace v1 trace against the allocator API contract
 * alone, without a model of pymalloc. Works for every allocator setting.
 *
 * Blocks are tracked at the level of the API the program used: the top-level lines. The
 * nested RAW lines of a MEM/OBJ call are the allocator's own business; the ones that
 * implement the call itself (the RAW fallback of a 0 or >512-byte request, the RAW free
 * or realloc of a RAW-served block) are folded into the outer line, and the others
 * (pymalloc's arena vector and radix-tree nodes) are tracked as RAW blocks of the
 * allocator. Nested 1 MiB `A`/`X` lines are arenas; top-level 16 KiB ones are frame
 * data-stack chunks.
 *
 * Violations, each with its line:
 *  - family: a block freed or reallocated through another domain than the one that
 *    allocated it (RAW, MEM and OBJ are three families; MEM and OBJ are distinct even
 *    though both are pymalloc);
 *  - alignment: a non-NULL result that is not 16-byte aligned;
 *  - overlap: a new block [p, p + max(n, 1)) that overlaps a live block (n is the request
 *    size, nelem * elsize for calloc; 0-byte blocks count as 1 byte, since every 0-byte
 *    request must return a distinct pointer), a RAW block overlapping a live arena, or
 *    any block overlapping a live data-stack chunk;
 *  - unknown-pointer: free/realloc of a pointer that was never returned (or points into
 *    the middle of a live block);
 *  - freed-pointer: free/realloc of a pointer already freed (double free, use after
 *    free);
 *  - arena: `X` of an arena or chunk that is not live, or an arena line of the wrong kind;
 *  - aborted: the process aborted inside an allocator call (`# abort in-call <call>`, written
 *    by the recorder on SIGABRT: the debug hooks' fatal errors, the C library's heap
 *    checks) and the call itself shows no misuse above, so the damage is one the trace
 *    cannot show (a write outside a block, a corrupted header). A call that does show
 *    one (a block freed through another family, a double free: under the debug hooks
 *    these abort the process, so this is the only place a real trace can hold them) is
 *    reported as that violation, at the comment's line.
 *
 * Documented exceptions (pytrace v1, "What a replay must know"): CPython swaps the
 * default RAW allocator in around some start-up and shutdown copies, so some RAW calls
 * are not captured. Hence, for the RAW domain only:
 *  - a free/realloc of a pointer that is not live (unknown or already freed) is not a
 *    violation; it is counted in `notes.rawUnknown`;
 *  - a new block overlapping a live top-level RAW block is not a violation either: the
 *    old block is taken to have been freed without a trace line, is dropped, and is
 *    counted in `notes.rawPresumedFreed`. (A RAW block overlapping a live MEM/OBJ block,
 *    or the reverse, is still reported, against the MEM/OBJ block.)
 * A free of NULL is always fine; realloc(NULL, n) is a malloc.
 *
 * Debug hooks (line 1 says allocator=pymalloc_debug or malloc_debug: PYTHONMALLOC=debug,
 * pymalloc_debug, malloc_debug, -X dev): the recorder wraps the hooks, so every line is
 * a call of _PyMem_DebugRaw*, whose block of N bytes at p is a decorated block
 * [p - 16, p + N + 8) (size field, API id and pads before, pads after) inside a block of
 * N + 24 bytes of the allocator below. That whole extent is what must not overlap
 * (a 0-byte request has a 24-byte extent). The allocator below is called with N + 24
 * bytes at p - 16 (calloc(1, nelem * elsize + 24)), so a nested RAW line of that shape
 * is the call itself (pymalloc's RAW fallback, itself made through the RAW hooks), not
 * a second block.
 */
import { profileOf, unverifiedMessage } from '../../spec/versions.ts';
import { AddrMap } from './addr-map.ts';
import { parseAbortedCall } from './events.ts';
import {
  type AllocEvent, type ArenaEvent, type CallEvent, type Domain, forEachTraceEvent, formatEvent, parseHeader, type TraceEvent,
  TraceFormatError, type TraceSource,
} from './reader.ts';

export type ViolationKind = 'family' | 'alignment' | 'overlap' | 'unknown-pointer' | 'freed-pointer' | 'arena' | 'aborted';

export interface Violation {
  line: number;
  kind: ViolationKind;
  message: string;
}

export interface CheckReport {
  ok: boolean;
  events: number;
  lines: number;
  violationCount: number;
  /** The first `maxViolations` violations, in line order. */
  violations: Violation[];
  notes: { rawUnknown: number; rawPresumedFreed: number };
  /** Blocks still live at the end, per family. */
  liveAtEnd: Record<Domain, number>;
}

interface Block {
  /** Start of the extent: the pointer, or 16 bytes before it under debug hooks. */
  addr: number;
  /** Extent in bytes (request size, at least 1; request size + 24 under debug hooks). */
  len: number;
  /** The pointer the call returned. */
  ptr: number;
  /** The request size. */
  size: number;
  family: Domain;
  /** Allocated by the allocator itself (nested RAW line), not by the program. */
  internal: boolean;
  line: number;
}

const PAGE = 4096;
/** The debug hooks' bytes before the data (size field, API id, 7 pads) and in all (+ 8 pads after). */
const DEBUG_HEAD = 16;
const DEBUG_EXTRA = 24;
const hex = (a: number): string => a.toString(16);
const FAMILY_NAME: Record<Domain, string> = { r: 'RAW', m: 'MEM', o: 'OBJ' };

/**
 * Live intervals keyed by start address, with overlap queries. Each interval is indexed
 * in the first level whose bucket size is at least its length, under the bucket of its
 * start (so it reaches at most into the next bucket); longer ones are kept in a short
 * list. A query looks at the buckets its range can touch on each level.
 */
const LEVELS = [512, 65536, 8388608];

export class IntervalIndex<T extends { addr: number; len: number }> {
  readonly byAddr = new AddrMap<T>(1 << 12);
  private levels = LEVELS.map(() => new AddrMap<T[]>());
  private big: T[] = [];

  get size(): number {
    return this.byAddr.size;
  }

  private levelOf(len: number): number {
    for (let i = 0; i < LEVELS.length; i++) if (len <= LEVELS[i]) return i;
    return -1;
  }

  add(b: T): void {
    this.byAddr.set(b.addr, b);
    const lv = this.levelOf(b.len);
    if (lv < 0) {
      this.big.push(b);
      return;
    }
    const k = Math.floor(b.addr / LEVELS[lv]);
    const m = this.levels[lv];
    const list = m.get(k);
    if (list === undefined) m.set(k, [b]);
    else list.push(b);
  }

  remove(b: T): void {
    if (this.byAddr.get(b.addr) !== b) return;
    this.byAddr.delete(b.addr);
    const lv = this.levelOf(b.len);
    if (lv < 0) {
      this.big.splice(this.big.indexOf(b), 1);
      return;
    }
    const k = Math.floor(b.addr / LEVELS[lv]);
    const m = this.levels[lv];
    const list = m.get(k)!;
    if (list.length === 1) m.delete(k);
    else {
      const i = list.indexOf(b);
      list[i] = list[list.length - 1];
      list.pop();
    }
  }

  /** Every live interval overlapping [addr, addr + len). */
  overlapping(addr: number, len: number): T[] {
    const out: T[] = [];
    const end = addr + len;
    for (const b of this.big) if (b.addr < end && addr < b.addr + b.len) out.push(b);
    for (let lv = 0; lv < LEVELS.length; lv++) {
      const m = this.levels[lv];
      if (m.size === 0) continue;
      const first = Math.floor(addr / LEVELS[lv]) - 1;
      const last = Math.floor((end - 1) / LEVELS[lv]);
      if (last - first + 1 <= m.capacity) {
        for (let k = first; k <= last; k++) {
          const list = m.get(k);
          if (list === undefined) continue;
          for (const b of list) if (b.addr < end && addr < b.addr + b.len) out.push(b);
        }
      } else {
        for (const list of m.values()) {
          for (const b of list) if (b.addr < end && addr < b.addr + b.len) out.push(b);
        }
      }
    }
    return out;
  }

  /** The live interval containing addr, if any. */
  containing(addr: number): T | undefined {
    return this.overlapping(addr, 1)[0];
  }
}

interface Region { addr: number; len: number; kind: 'arena' | 'chunk'; line: number }

export interface CheckOptions {
  maxViolations?: number;
}

export class TraceChecker {
  readonly blocks = new IntervalIndex<Block>();
  readonly regions = new IntervalIndex<Region>();
  /** Freed addresses -> line of the free (for "already freed" messages). */
  private freed = new AddrMap<number>();
  private pending: AllocEvent[] = [];
  violations: Violation[] = [];
  violationCount = 0;
  notes = { rawUnknown: 0, rawPresumedFreed: 0 };
  events = 0;
  /** Line 1 says the debug hooks were installed: blocks have the decorated layout. */
  debugHooks = false;
  private readonly max: number;

  constructor(opts: CheckOptions = {}) {
    this.max = opts.maxViolations ?? 1000;
  }

  private violate(line: number, kind: ViolationKind, message: string): void {
    this.violationCount++;
    if (this.violations.length < this.max) this.violations.push({ line, kind, message });
  }

  feed(e: TraceEvent): void {
    if (e.kind === '#') {
      if (e.line === 1) {
        // Only traces of a verified CPython version (spec/versions.ts) are checked.
        const python = parseHeader(e.text).python;
        if (profileOf(python) === null) throw new TraceFormatError(1, unverifiedMessage(python));
        this.debugHooks = /(^| )allocator=(pymalloc_debug|malloc_debug)( |$)/.test(e.text);
      } else if (e.text.startsWith('abort in-call ')) this.abortedCall(e.line, e.text.slice('abort in-call '.length));
      return;
    }
    this.events++;
    if (e.nested) {
      this.pending.push(e);
      return;
    }
    const group = this.pending;
    this.pending = [];
    if (e.kind === 'A' || e.kind === 'X') {
      this.region(e, false);
      return;
    }
    if (group.length > 0) this.nestedGroup(e, group);
    this.call(e, e.domain, false);
  }

  /** Nested lines of a MEM/OBJ call: arenas, and RAW calls that are not the call itself. */
  private nestedGroup(outer: CallEvent, group: AllocEvent[]): void {
    // Arena frees take effect after the outer call (the block being freed is inside).
    const frees: ArenaEvent[] = [];
    for (const n of group) {
      if (n.kind === 'A') this.region(n, true);
      else if (n.kind === 'X') frees.push(n);
      else if (!(this.debugHooks ? implementsOuterDebug(outer, n) : implementsOuter(outer, n))) this.call(n, 'r', true);
    }
    for (const x of frees) this.region(x, true);
  }

  private region(e: ArenaEvent, nested: boolean): void {
    const kind = nested ? 'arena' : 'chunk';
    const what = nested ? 'arena' : 'data-stack chunk';
    if (e.kind === 'A') {
      if (e.addr === 0) return;
      if (e.addr % PAGE !== 0) this.violate(e.line, 'alignment', `${what} ${hex(e.addr)} is not 4 KiB aligned`);
      for (const r of this.regions.overlapping(e.addr, e.size)) {
        this.violate(e.line, 'overlap', `${what} ${hex(e.addr)}+${e.size} overlaps the live ${r.kind === 'arena' ? 'arena' : 'data-stack chunk'} ${hex(r.addr)} from line ${r.line}`);
        this.regions.remove(r);
      }
      for (const b of this.blocks.overlapping(e.addr, e.size)) {
        if (nested && b.family !== 'r') continue;
        this.violate(e.line, 'overlap', `${what} ${hex(e.addr)}+${e.size} overlaps the live ${describe(b)}`);
      }
      this.regions.add({ addr: e.addr, len: e.size, kind, line: e.line });
      return;
    }
    const r = this.regions.byAddr.get(e.addr);
    if (r === undefined || r.kind !== kind) {
      this.violate(e.line, 'arena', `${formatEvent(e)}: no live ${what} at ${hex(e.addr)}`);
      return;
    }
    if (r.len !== e.size) this.violate(e.line, 'arena', `${what} ${hex(e.addr)} freed with size ${e.size}, allocated with ${r.len} (line ${r.line})`);
    this.regions.remove(r);
  }

  private call(e: CallEvent, family: Domain, internal: boolean): void {
    switch (e.kind) {
      case 'm':
        this.allocated(e, family, e.result, e.size, internal);
        return;
      case 'c':
        this.allocated(e, family, e.result, e.nelem * e.elsize, internal);
        return;
      case 'f': {
        if (e.ptr === 0) return;
        const b = this.lookup(e, family, e.ptr);
        if (b !== undefined) this.release(e, b);
        return;
      }
      case 'r': {
        if (e.ptr === 0) {
          this.allocated(e, family, e.result, e.size, internal);
          return;
        }
        const b = this.lookup(e, family, e.ptr);
        if (e.result === 0) return; // failure: the old block is intact
        if (b !== undefined) this.release(e, b);
        this.allocated(e, family, e.result, e.size, internal);
        return;
      }
    }
  }

  private allocated(e: CallEvent, family: Domain, p: number, n: number, internal: boolean): void {
    if (p === 0) return;
    if (p % 16 !== 0) this.violate(e.line, 'alignment', `${formatEvent(e)}: result ${hex(p)} is not 16-byte aligned`);
    const start = this.debugHooks ? p - DEBUG_HEAD : p;
    const len = this.debugHooks ? n + DEBUG_EXTRA : Math.max(n, 1);
    const what = `new ${FAMILY_NAME[family]} block ${this.debugHooks ? `${hex(p)}+${n} (decorated ${hex(start)}+${len})` : `${hex(p)}+${len}`}`;
    for (const o of this.blocks.overlapping(start, len)) {
      if (o.family === 'r' && !o.internal) {
        // Exception: a RAW block freed by an uncaptured call.
        this.notes.rawPresumedFreed++;
        this.blocks.remove(o);
        continue;
      }
      this.violate(e.line, 'overlap', `${formatEvent(e)}: ${what} overlaps the live ${describe(o)}`);
      this.blocks.remove(o);
    }
    for (const r of this.regions.overlapping(start, len)) {
      if (r.kind === 'arena' && family !== 'r') continue;
      this.violate(e.line, 'overlap', `${formatEvent(e)}: ${what} overlaps the live ${r.kind === 'arena' ? 'pymalloc arena' : 'data-stack chunk'} ${hex(r.addr)} from line ${r.line}`);
    }
    this.freed.delete(p);
    this.blocks.add({ addr: start, len, ptr: p, size: n, family, internal, line: e.line });
  }

  /** The live block `p` names for a free/realloc through `family`, or undefined after reporting why not. */
  private lookup(e: CallEvent, family: Domain, p: number): Block | undefined {
    const b = this.blocks.byAddr.get(this.debugHooks ? p - DEBUG_HEAD : p);
    if (b !== undefined) {
      if (b.family !== family) {
        this.violate(e.line, 'family', `${formatEvent(e)}: ${FAMILY_NAME[b.family]} block ${hex(p)} (line ${b.line}) ${e.kind === 'f' ? 'freed' : 'reallocated'} through ${FAMILY_NAME[family]}`);
      }
      return b;
    }
    if (family === 'r') {
      this.notes.rawUnknown++;
      return undefined;
    }
    const inside = this.blocks.containing(p);
    const freedAt = this.freed.get(p);
    if (inside !== undefined) {
      this.violate(e.line, 'unknown-pointer', `${formatEvent(e)}: ${hex(p)} points into the middle of the live ${describe(inside)}`);
    } else if (freedAt !== undefined) {
      this.violate(e.line, 'freed-pointer', `${formatEvent(e)}: ${hex(p)} was already freed at line ${freedAt}`);
    } else {
      this.violate(e.line, 'unknown-pointer', `${formatEvent(e)}: ${hex(p)} was never returned by an allocator`);
    }
    return undefined;
  }

  /** The call the process aborted in (its fields without a result). */
  private abortedCall(line: number, call: string): void {
    const ev = parseAbortedCall(line, call);
    const why = `the process aborted inside ${call}`;
    if (ev !== null && (ev.kind === 'f' || ev.kind === 'r') && ev.ptr !== 0) {
      const before = this.violationCount;
      const b = this.lookup(ev, ev.domain, ev.ptr);
      if (this.violationCount > before) {
        const v = this.violations[this.violations.length - 1];
        if (v !== undefined && v.line === line) v.message = `${v.message} (${why})`;
        return;
      }
      if (b !== undefined) {
        this.violate(line, 'aborted', `${why}, a call on the live ${describe(b)}: the allocator found damage the trace cannot show (a write outside the block, a corrupted header)`);
        return;
      }
    }
    this.violate(line, 'aborted', `${why}: the allocator found damage the trace cannot show (a write outside a block, a corrupted header)`);
  }

  private release(e: CallEvent, b: Block): void {
    this.blocks.remove(b);
    this.freed.set(b.ptr, e.line);
  }

  report(lines: number): CheckReport {
    const liveAtEnd: Record<Domain, number> = { r: 0, m: 0, o: 0 };
    for (const b of this.blocks.byAddr.values()) liveAtEnd[b.family]++;
    return {
      ok: this.violationCount === 0,
      events: this.events,
      lines,
      violationCount: this.violationCount,
      violations: this.violations,
      notes: { ...this.notes },
      liveAtEnd,
    };
  }
}

/** Whether nested RAW line n is the RAW side of outer call e itself (fallback, raw realloc/free). */
function implementsOuter(e: CallEvent, n: AllocEvent): boolean {
  if (n.kind === 'A' || n.kind === 'X' || n.domain !== 'r') return false;
  switch (e.kind) {
    case 'm':
      return (n.kind === 'm' && n.result === e.result && n.size === e.size);
    case 'c':
      return n.kind === 'c' && n.result === e.result && n.nelem === e.nelem && n.elsize === e.elsize;
    case 'r':
      return (n.kind === 'r' && n.ptr === e.ptr && n.result === e.result)
        || (n.kind === 'm' && n.result === e.result && e.result !== 0);
    case 'f':
      return n.kind === 'f' && n.ptr === e.ptr;
  }
}

/**
 * implementsOuter under the debug hooks: the allocator below the hooks was called with
 * N + 24 bytes and pointers 16 bytes lower (_PyMem_DebugRawAlloc, _PyMem_DebugRawRealloc,
 * _PyMem_DebugRawFree); realloc(NULL, N) is a malloc there.
 */
function implementsOuterDebug(e: CallEvent, n: AllocEvent): boolean {
  if (n.kind === 'A' || n.kind === 'X' || n.domain !== 'r') return false;
  const below = (p: number): number => (p === 0 ? 0 : p - DEBUG_HEAD);
  switch (e.kind) {
    case 'm':
      return n.kind === 'm' && n.size === e.size + DEBUG_EXTRA && n.result === below(e.result);
    case 'c':
      return n.kind === 'c' && n.nelem === 1 && n.elsize === e.nelem * e.elsize + DEBUG_EXTRA && n.result === below(e.result);
    case 'r':
      return (n.kind === 'r' && e.ptr !== 0 && n.ptr === below(e.ptr) && n.size === e.size + DEBUG_EXTRA && n.result === below(e.result))
        || (n.kind === 'm' && n.size === e.size + DEBUG_EXTRA && n.result === below(e.result) && e.result !== 0);
    case 'f':
      return n.kind === 'f' && e.ptr !== 0 && n.ptr === below(e.ptr);
  }
}

function describe(b: Block): string {
  return `${b.internal ? 'allocator-internal ' : ''}${FAMILY_NAME[b.family]} block ${hex(b.ptr)}+${b.addr === b.ptr ? b.len : b.size} from line ${b.line}`;
}

/** Check a whole trace; rejects with TraceFormatError for a malformed or truncated trace. */
export async function checkTrace(source: TraceSource, opts: CheckOptions = {}): Promise<CheckReport> {
  const c = new TraceChecker(opts);
  const res = await forEachTraceEvent(source, (e) => c.feed(e));
  return c.report(res.lines);
}
