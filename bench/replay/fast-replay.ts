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

class StreamOS implements OS {
  pos = 0;
  end = 0;
  bad = 0;
  constructor(private readonly s: Stream) {}
  private take(k: number): number {
    const i = this.pos;
    if (i >= this.end || this.s.nkind[i] !== k) { this.bad++; return -1; }
    this.pos = i + 1;
    return i;
  }
  readonly arenas: ArenaAllocator = {
    alloc: (size) => {
      const i = this.take(N_ARENA_ALLOC);
      if (i < 0 || this.s.nb[i] !== size) { this.bad++; return 0; }
      return this.s.na[i];
    },
    free: (addr, size) => {
      const i = this.take(N_ARENA_FREE);
      if (i < 0 || this.s.na[i] !== addr || this.s.nb[i] !== size) this.bad++;
    },
  };
  readonly libc: LibC = {
    malloc: (n) => {
      const i = this.take(N_MALLOC);
      if (i < 0 || (this.s.na[i] || 1) !== n) { this.bad++; return 0; }
      return this.s.nres[i];
    },
    calloc: (ne, es) => {
      const i = this.take(N_CALLOC);
      if (i < 0) return 0;
      const z = this.s.na[i] === 0 || this.s.nb[i] === 0;
      if ((z ? 1 : this.s.na[i]) !== ne || (z ? 1 : this.s.nb[i]) !== es) { this.bad++; return 0; }
      return this.s.nres[i];
    },
    realloc: (p, n) => {
      const i = this.take(N_REALLOC);
      if (i < 0 || this.s.nb[i] !== p || (this.s.na[i] || 1) !== n) { this.bad++; return 0; }
      return this.s.nres[i];
    },
    free: (p) => {
      const i = this.take(N_FREE);
      if (i < 0 || this.s.na[i] !== p) this.bad++;
    },
  };
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
  space?.reset();
  const rt = new Runtime({ mode: 'pymalloc', os: () => os, space });
  const { kind, domain, a, b, ptr, res, nestStart, nops } = s;
  let mismatches = 0;
  let first = -1;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < nops; i++) {
    os.pos = nestStart[i];
    os.end = nestStart[i + 1];
    const bad = os.bad;
    const api = API[domain[i]];
    const k = kind[i];
    let r = 0;
    if (k === OP_MALLOC) r = rt.malloc(api, a[i]);
    else if (k === OP_FREE) rt.free(api, ptr[i]);
    else if (k === OP_CALLOC) r = rt.calloc(api, a[i], b[i]);
    else r = rt.realloc(api, ptr[i], a[i]);
    if ((k !== OP_FREE && r !== res[i]) || os.pos !== os.end || os.bad !== bad) {
      mismatches++;
      if (first < 0) first = i;
    }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  return { ns, nsPerOp: ns / nops, cpuNsPerOp: ((c.user + c.system) * 1000) / nops, mismatches, firstMismatch: first };
}
