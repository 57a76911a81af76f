/**
 * ReplayOS: the OS the model runs on during a replay. Instead of mapping arenas or calling
 * a C library it hands out, in order, the nested (`^`) RAW and arena lines the trace
 * recorded inside the current MEM/OBJ call, and it checks that the model asks for exactly
 * those calls (same kind, same arguments, same order, none missing, none extra); any
 * difference is thrown as a NestedCallMismatch.
 *
 * The model reaches ReplayOS through Runtime's RAW domain, the "malloc" allocator, which
 * turns a 0-byte RAW request into malloc(1) / calloc(1, 1) / realloc(p, 1) (fact sheet
 * 2.3). The trace records RAW calls at the domain level, so ReplayOS maps the recorded
 * arguments the same way before comparing.
 *
 * Under debug hooks (`debugRaw`), the recorded RAW line is the call of the debug hooks
 * (_PyMem_DebugRaw*), and the C library sees it decorated: a RAW request of N bytes is
 * malloc(N + 24) (calloc(1, nelem * elsize + 24); realloc(NULL, N) is a malloc), and
 * the pointers the hooks hand out and take back are the C library's plus 16. ReplayOS
 * maps the recorded line that way before comparing, so the model's own debug hooks sit
 * between its RAW domain and this C library, exactly as in the recorded process.
 */
import { EXTRA_BYTES, HEADER_BYTES } from '../debug/constants.ts';
import type { ArenaAllocator, LibC, OS } from '../memory/os.ts';
import { type AllocEvent, formatEvent } from './events.ts';

const hex = (a: number): string => a.toString(16);

/** Thrown inside a model call when it asks ReplayOS for something the trace did not record. */
export class NestedCallMismatch extends Error {
  constructor(readonly reason: string, readonly expected: string, readonly actual: string) {
    super(reason);
    this.name = 'NestedCallMismatch';
  }
}

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

  /**
   * The recorded lines were made through the debug hooks (a trace of
   * allocator=pymalloc_debug or malloc_debug): map them to the C library's view.
   */
  debugRaw = false;

  readonly libc: LibC = {
    malloc: (n: number): number => {
      const want = this.debugRaw ? `m r ${n - EXTRA_BYTES} <result> (libc malloc(${n}) under the debug hooks)` : `m r ${n} <result> ^ (libc malloc(${n}))`;
      const e = this.take(want);
      if (this.debugRaw) {
        // _PyMem_DebugRawAlloc(0, N) and _PyMem_DebugRawRealloc(NULL, N): malloc(N + 24)
        const ok = (e.kind === 'm' && e.size + EXTRA_BYTES === n) || (e.kind === 'r' && e.ptr === 0 && e.size + EXTRA_BYTES === n);
        if (!ok) this.differ(e, want);
        return inner((e as { result: number }).result);
      }
      if (e.kind !== 'm' || e.domain !== 'r' || nz(e.size) !== n) this.differ(e, want);
      return (e as { result: number }).result;
    },
    calloc: (nelem: number, elsize: number): number => {
      const want = this.debugRaw
        ? `c r <nelem> <elsize> <result> with nelem * elsize = ${elsize - EXTRA_BYTES} (libc calloc(${nelem}, ${elsize}) under the debug hooks)`
        : `c r ${nelem} ${elsize} <result> ^ (libc calloc(${nelem}, ${elsize}))`;
      const e = this.take(want);
      if (e.kind !== 'c') this.differ(e, want);
      if (this.debugRaw) {
        // _PyMem_DebugRawAlloc(1, nelem * elsize): calloc(1, nelem * elsize + 24)
        if (nelem !== 1 || e.nelem * e.elsize + EXTRA_BYTES !== elsize) this.differ(e, want);
        return inner(e.result);
      }
      if (e.domain !== 'r') this.differ(e, want);
      const zero = e.nelem === 0 || e.elsize === 0;
      if ((zero ? 1 : e.nelem) !== nelem || (zero ? 1 : e.elsize) !== elsize) this.differ(e, want);
      return e.result;
    },
    realloc: (p: number, n: number): number => {
      const want = this.debugRaw
        ? `r r ${hex(p + HEADER_BYTES)} ${n - EXTRA_BYTES} <result> (libc realloc(${hex(p)}, ${n}) under the debug hooks)`
        : `r r ${hex(p)} ${n} <result> ^ (libc realloc(${hex(p)}, ${n}))`;
      const e = this.take(want);
      if (this.debugRaw) {
        if (e.kind !== 'r' || e.ptr !== p + HEADER_BYTES || e.size + EXTRA_BYTES !== n) this.differ(e, want);
        return inner(e.result);
      }
      if (e.kind !== 'r' || e.domain !== 'r' || e.ptr !== p || nz(e.size) !== n) this.differ(e, want);
      return (e as { result: number }).result;
    },
    free: (p: number): void => {
      const want = this.debugRaw ? `f r ${hex(p + HEADER_BYTES)} (libc free(${hex(p)}) under the debug hooks)` : `f r ${hex(p)} ^ (libc free)`;
      const e = this.take(want);
      if (this.debugRaw) {
        if (e.kind !== 'f' || e.ptr !== p + HEADER_BYTES) this.differ(e, want);
        return;
      }
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

/** The C library's pointer under a debug block that the hooks handed out as `p` (NULL stays NULL). */
function inner(p: number): number {
  return p === 0 ? 0 : p - HEADER_BYTES;
}

/** What the "malloc" allocator passes to the C library for a RAW size. */
function nz(n: number): number {
  return n === 0 ? 1 : n;
}
