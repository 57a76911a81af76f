/**
 * What a replay reports when the model and the trace part ways: the mismatch record, and
 * the evidence that goes into it. The centrepiece is a short text dump of the model's
 * pymalloc state (arenas, the request's size class, where each address involved lies:
 * arena, pool, block, pool state), so a mismatch can be diagnosed without a debugger.
 */
import { SLOT_SIZE } from '../memory/address-space.ts';
import { INDEX2SIZE, NUMBLOCKS, POOL_SIZE } from '../pymalloc/constants.ts';
import {
  NIL, poolOf, type PymallocState, PH_COUNT, PH_FREEBLOCK, PH_MAXNEXTOFFSET, PH_NEXTOFFSET, PH_NEXTPOOL, PH_SZIDX, PH_WORDS,
} from '../pymalloc/state.ts';
import type { CallEvent } from './events.ts';

const hex = (a: number): string => a.toString(16);

export type MismatchKind = 'result' | 'nested' | 'stats' | 'blocks' | 'model-error' | 'abort';

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

/** First differing line of two texts, for messages. */
export function firstDifference(expected: string, actual: string): { index: number; expected: string; actual: string } {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return { index: i, expected: a[i] ?? '(end of section)', actual: b[i] ?? '(end of text)' };
  }
  return { index: -1, expected: '', actual: '' };
}

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

/** The addresses a call names (realloc's and free's pointer), to be described in the dump. */
export function eventAddresses(e: CallEvent): number[] {
  return e.kind === 'r' || e.kind === 'f' ? [e.ptr] : [];
}

/** pymalloc's size class of a call's request, or -1 when it is not a small request. */
export function requestClass(e: CallEvent): number {
  const n = e.kind === 'c' ? e.nelem * e.elsize : e.kind === 'f' ? 0 : e.size;
  return n >= 1 && n <= 512 ? (n - 1) >> 4 : -1;
}
