/**
 * Our side of the replay benchmark: the pre-parsed stream through Runtime (mode pymalloc)
 * over a typed-array ReplayOS. Same checks as src/trace/replay.ts (nested calls in order
 * with their arguments, every result address), but no per-event objects and no messages:
 * it counts mismatches and remembers the first.
 */
import { Runtime } from '../../src/domains/runtime.ts';
import type { AddressSpace } from '../../src/memory/address-space.ts';
import type { ArenaAllocator, LibC, OS } from '../../src/memory/os.ts';
import type { Api } from '../../src/domains/allocator.ts';
import {
  N_ARENA_ALLOC, N_ARENA_FREE, N_CALLOC, N_FREE, N_MALLOC, N_REALLOC, OP_CALLOC, OP_FREE, OP_MALLOC, type Stream,
} from './stream.ts';

/** Where the replay stands in the nested lines of the current call. */
class Cursor {
  pos = 0;
  end = 0;
  bad = 0;
  constructor(readonly s: Stream) {}
  take(k: number): number {
    const i = this.pos;
    if (i >= this.end || this.s.nkind[i] !== k) { this.bad++; return -1; }
    this.pos = i + 1;
    return i;
  }
}

// Classes, not closures: every run's OS shares the same function objects, so the JIT's
// call-target feedback stays valid from one run to the next (no deopt per run).
class StreamArenas implements ArenaAllocator {
  constructor(private readonly c: Cursor) {}
  alloc(size: number): number {
    const i = this.c.take(N_ARENA_ALLOC);
    if (i < 0 || this.c.s.nb[i] !== size) { this.c.bad++; return 0; }
    return this.c.s.na[i];
  }
  free(addr: number, size: number): void {
    const i = this.c.take(N_ARENA_FREE);
    if (i < 0 || this.c.s.na[i] !== addr || this.c.s.nb[i] !== size) this.c.bad++;
  }
}

class StreamLibC implements LibC {
  constructor(private readonly c: Cursor) {}
  malloc(n: number): number {
    const i = this.c.take(N_MALLOC);
    if (i < 0 || (this.c.s.na[i] || 1) !== n) { this.c.bad++; return 0; }
    return this.c.s.nres[i];
  }
  calloc(ne: number, es: number): number {
    const i = this.c.take(N_CALLOC);
    if (i < 0) return 0;
    const s = this.c.s;
    const z = s.na[i] === 0 || s.nb[i] === 0;
    if ((z ? 1 : s.na[i]) !== ne || (z ? 1 : s.nb[i]) !== es) { this.c.bad++; return 0; }
    return s.nres[i];
  }
  realloc(p: number, n: number): number {
    const i = this.c.take(N_REALLOC);
    const s = this.c.s;
    if (i < 0 || s.nb[i] !== p || (s.na[i] || 1) !== n) { this.c.bad++; return 0; }
    return s.nres[i];
  }
  free(p: number): void {
    const i = this.c.take(N_FREE);
    if (i < 0 || this.c.s.na[i] !== p) this.c.bad++;
  }
}

class StreamOS implements OS {
  readonly c: Cursor;
  readonly arenas: ArenaAllocator;
  readonly libc: LibC;
  constructor(s: Stream) {
    this.c = new Cursor(s);
    this.arenas = new StreamArenas(this.c);
    this.libc = new StreamLibC(this.c);
  }
}

/** For experiments: a stream-serving OS. */
(fastReplay as unknown as { makeOS: (s: Stream) => StreamOS }).makeOS = (s: Stream) => new StreamOS(s);

export interface FastResult {
  ns: number;
  /** wall clock */
  nsPerOp: number;
  /** process CPU time (user + system), robust when the machine is busy */
  cpuNsPerOp: number;
  mismatches: number;
  firstMismatch: number;
}

const API: readonly Api[] = ['m', 'o'];

/**
 * One timed pass over the stream with a fresh model (pymalloc pristine). With `space`,
 * the model reuses that address space's backing store (reset first), as the native side
 * with --keep-arenas reuses arena memory it already has: growing the store is not timed.
 */
export function fastReplay(s: Stream, space?: AddressSpace): FastResult {
  const os = new StreamOS(s);
  const cur = os.c;
  space?.reset();
  const rt = new Runtime({ mode: 'pymalloc', os: () => os, space });
  const { kind, domain, a, b, ptr, res, nestStart, nops } = s;
  let mismatches = 0;
  let first = -1;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < nops; i++) {
    cur.pos = nestStart[i];
    cur.end = nestStart[i + 1];
    const bad = cur.bad;
    const api = API[domain[i]];
    const k = kind[i];
    // Each result is compared in its own branch: merging them into one variable first
    // would make the JIT box every malloc result (a double) into a heap number whenever
    // one of the calls (realloc, say) is not inlined.
    let wrong = false;
    if (k === OP_MALLOC) wrong = rt.malloc(api, a[i]) !== res[i];
    else if (k === OP_FREE) rt.free(api, ptr[i]);
    else if (k === OP_CALLOC) wrong = rt.calloc(api, a[i], b[i]) !== res[i];
    else wrong = rt.realloc(api, ptr[i], a[i]) !== res[i];
    if (wrong || cur.pos !== cur.end || cur.bad !== bad) {
      mismatches++;
      if (first < 0) first = i;
    }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  return { ns, nsPerOp: ns / nops, cpuNsPerOp: ((c.user + c.system) * 1000) / nops, mismatches, firstMismatch: first };
}
