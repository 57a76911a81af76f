/**
 * The debug hooks (PyMem_SetupDebugHooks and the _PyMem_Debug* functions of
 * Objects/obmalloc.c, 3.11; fact sheet 4 and 3.7), over the model's simulated memory.
 *
 * installDebugHooks(rt) wraps each domain's current allocator in a DebugAllocator that
 * carries the domain's API id ('r', 'm', 'o'). Block layout, fill bytes, check order,
 * the realloc save/erase/restore and the dump text are CPython's, byte for byte. The GIL
 * check is not modelled (the GIL is always held). A failed check throws FatalError.
 *
 * Where CPython is undefined, the hooks report instead (docs/debug-hooks.md): they keep
 * a side table of the blocks they handed out and took back, consulted before any byte
 * is read, and turn memory accesses that would segfault into fatal errors.
 */
import type { AddressSpace } from '../memory/address-space.ts';
import { PY_SSIZE_T_MAX_BIG } from '../pymalloc/constants.ts';
import { type Allocator, type Api, APIS, domainOf } from '../domains/allocator.ts';
import type { Runtime } from '../domains/runtime.ts';
import { BlockTable, type BlockRecord, relative } from './block-table.ts';
import {
  CLEANBYTE, DEADBYTE, ERASED_SIZE, EXTRA_BYTES, FAMILY_PREFIX, FORBIDDENBYTE, HEADER_BYTES, SST,
} from './constants.ts';
import { dumpAddress } from './dump.ts';
import { charByte, FatalError, formatPointer } from './fatal.ts';
import { add64, fill, load8, read, readSizeT, SegvError, write, writeSizeT } from './memory.ts';

const FUNC_FREE = '_PyMem_DebugRawFree';
const FUNC_REALLOC = '_PyMem_DebugRawRealloc';
const FUNC_MALLOC = '_PyMem_DebugRawMalloc';
const FUNC_CALLOC = '_PyMem_DebugRawCalloc';

const EXTRA = BigInt(EXTRA_BYTES);
const TWO64 = 1n << 64n;
/** PY_SSIZE_T_MAX - PYMEM_DEBUG_EXTRA_BYTES: larger requests get NULL. */
const MAX_REQUEST = PY_SSIZE_T_MAX_BIG - EXTRA;

/** nbytes > PY_SSIZE_T_MAX - 24, exactly (a double above 2^53 is an exact integer). */
function tooLarge(n: number): boolean {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: sizes are integers, and for an integer BigInt(n) > MAX_REQUEST already implies n >= 2^53 (the first test only keeps fractions away from BigInt), so that test -> true and `n > 2 ** 53` change nothing; MAX_REQUEST = 2^63 - 25 is no double, so `>=` is `>` (the other mutants of this line, among them `n < 2 ** 53`, `<=` and false, are caught by properties/debug/inner.test.ts, but share the mutator names)
  return n >= 2 ** 53 && BigInt(n) > MAX_REQUEST;
}

/** One process's debug-hook state, shared by the three debug allocators. */
export interface DebugState {
  readonly space: AddressSpace;
  readonly table: BlockTable;
}

const states = new WeakMap<Runtime, DebugState>();

/** The debug allocator of one domain: _PyMem_DebugRaw* with ctx = {api_id, inner}. */
export class DebugAllocator implements Allocator {
  private readonly space: AddressSpace;
  private readonly table: BlockTable;
  private readonly apiByte: number;

  constructor(readonly api: Api, readonly inner: Allocator, state: DebugState) {
    this.space = state.space;
    this.table = state.table;
    this.apiByte = api.charCodeAt(0);
  }

  malloc(n: number): number {
    return this.rawAlloc(false, n, FUNC_MALLOC);
  }

  /** _PyMem_DebugRawCalloc: nbytes = nelem * elsize (the public wrapper refused overflow). */
  calloc(nelem: number, elsize: number): number {
    return this.rawAlloc(true, nelem * elsize, FUNC_CALLOC);
  }

  /** _PyMem_DebugRawAlloc */
  private rawAlloc(useCalloc: boolean, nbytes: number, func: string): number {
    if (tooLarge(nbytes)) return 0;
    const total = nbytes + EXTRA_BYTES;
    const base = useCalloc ? this.inner.calloc(1, total) : this.inner.malloc(total);
    if (base === 0) return 0;
    this.checkReuse(func, base, total);
    const data = base + HEADER_BYTES;
    this.decorate(base, nbytes);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: with nbytes 0 the fill covers 0 bytes and stores nothing, like memset(data, CLEANBYTE, 0) (the other mutants of this line are caught, but share the mutator names)
    if (nbytes > 0 && !useCalloc) this.space.fill(data, nbytes, CLEANBYTE);
    this.table.allocated(data, base, base + total, this.api, this.inner);
    return data;
  }

  /** Size field, API id, 7 leading pads and 8 trailing pads of a block at `base`. */
  private decorate(base: number, nbytes: number): void {
    const s = this.space;
    writeSizeT(s, BigInt(base), BigInt(nbytes));
    s.store8(base + SST, this.apiByte);
    s.fill(base + SST + 1, SST - 1, FORBIDDENBYTE);
    s.fill(base + HEADER_BYTES + nbytes, SST, FORBIDDENBYTE);
  }

  /** _PyMem_DebugRawFree */
  free(p: number): void {
    if (p === 0) return;
    this.checkKnown(FUNC_FREE, p, 'free');
    this.checkAddress(FUNC_FREE, p);
    this.checkOwner(FUNC_FREE, p, 'Free');
    const q = BigInt(p) - BigInt(HEADER_BYTES);
    try {
      const nbytes = (readSizeT(this.space, q) + EXTRA) % TWO64;
      fill(this.space, q, nbytes, DEADBYTE);
    } catch (e) {
      throw this.segvFatal(FUNC_FREE, p, e);
    }
    this.inner.free(p - HEADER_BYTES);
    this.table.released(p, `${FAMILY_PREFIX[this.api]}Free`);
  }

  /** _PyMem_DebugRawRealloc */
  realloc(p: number, n: number): number {
    if (p === 0) return this.rawAlloc(false, n, FUNC_MALLOC);
    this.checkKnown(FUNC_REALLOC, p, 'realloc');
    this.checkAddress(FUNC_REALLOC, p);
    this.checkOwner(FUNC_REALLOC, p, 'Realloc');
    const s = this.space;
    const head = p - HEADER_BYTES;
    let original: bigint | undefined;
    let saveHead: Uint8Array;
    let saveTail: Uint8Array | null = null;
    try {
      original = readSizeT(s, BigInt(head));
      if (tooLarge(n)) return 0;
      // Mark the header, the trailer and up to ERASED_SIZE bytes at each end as dead,
      // keeping a copy of the erased data.
      // Stryker disable next-line EqualityOperator: at original == 128 both branches erase the same 152 bytes (p-16 .. p+64 and p+64 .. p+136) and restore the same bytes (`>` is caught, but shares the mutator name)
      if (original <= 2n * BigInt(ERASED_SIZE)) {
        saveHead = read(s, BigInt(p), Number(original));
        fill(s, BigInt(head), original + EXTRA, DEADBYTE);
      } else {
        const tail = add64(p, original);
        saveHead = read(s, BigInt(p), ERASED_SIZE);
        fill(s, BigInt(head), BigInt(ERASED_SIZE + HEADER_BYTES), DEADBYTE);
        saveTail = read(s, add64(tail, -ERASED_SIZE), ERASED_SIZE);
        fill(s, add64(tail, -ERASED_SIZE), BigInt(ERASED_SIZE + EXTRA_BYTES - HEADER_BYTES), DEADBYTE);
      }
    } catch (e) {
      // The erase may already have overwritten the size field: report the value read.
      throw this.segvFatal(FUNC_REALLOC, p, e, original);
    }

    // Resize and add decorations.
    const total = n + EXTRA_BYTES;
    const r = this.inner.realloc(head, total);
    let nbytes: bigint;
    let base: number;
    if (r === 0) {
      nbytes = original; // realloc failed: rewrite the header and trailer just erased
      base = head;
    } else {
      this.checkReuse(FUNC_REALLOC, r, total);
      nbytes = BigInt(n);
      base = r;
    }
    const data = base + HEADER_BYTES;
    try {
      writeSizeT(s, BigInt(base), nbytes);
      s.store8(base + SST, this.apiByte);
      // Stryker disable next-line ArithmeticOperator: 9 pad bytes instead of 7 also set data[0] and data[1], which the trailer, the restore or the growth fill (together data[0 .. N+8)) rewrite before realloc returns; after a fault the process is dead (the other ArithmeticOperator mutants of this line are caught, but share the mutator name)
      s.fill(base + SST + 1, SST - 1, FORBIDDENBYTE);
      fill(s, add64(data, nbytes), BigInt(SST), FORBIDDENBYTE);

      // Restore the saved bytes.
      if (saveTail === null) {
        write(s, BigInt(data), saveHead.subarray(0, Number(minBig(nbytes, original))));
      } else {
        const i = original - BigInt(ERASED_SIZE);
        write(s, BigInt(data), saveHead.subarray(0, Number(minBig(nbytes, BigInt(ERASED_SIZE)))));
        // Stryker disable next-line EqualityOperator: at nbytes == i the tail copy is of 0 bytes (`<=` is caught, but shares the mutator name)
        if (nbytes > i) write(s, add64(data, i), saveTail.subarray(0, Number(minBig(nbytes - i, BigInt(ERASED_SIZE)))));
      }
    } catch (e) {
      throw this.segvFatal(FUNC_REALLOC, p, e);
    }
    if (r === 0) return 0;

    // Growing: mark the new memory clean.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: for nbytes <= original the fill length n - original is <= 0 and stores nothing (false and `<=` are caught, but share the mutator names)
    if (nbytes > original) s.fill(data + Number(original), n - Number(original), CLEANBYTE);

    if (r === head) this.table.resized(p, base, base + total);
    else {
      this.table.released(p, `${FAMILY_PREFIX[this.api]}Realloc`);
      this.table.allocated(data, base, base + total, this.api, this.inner);
    }
    return data;
  }

  /** _PyMem_DebugCheckAddress(func, api, p); p is not NULL. */
  private checkAddress(func: string, p: number): void {
    const s = this.space;
    const q = BigInt(p);
    let msg: string;
    try {
      const id = load8(s, add64(q, -SST));
      if (id !== this.apiByte) {
        const dump = dumpAddress(s, p);
        throw new FatalError(func, `bad ID: Allocated using API '${charByte(id)}', verified using API '${this.api}'`, dump);
      }
      check: {
        for (let i = SST - 1; i >= 1; i--) {
          if (load8(s, add64(q, -i)) !== FORBIDDENBYTE) {
            msg = 'bad leading pad byte';
            break check;
          }
        }
        const tail = add64(q, readSizeT(s, add64(q, -HEADER_BYTES)));
        for (let i = 0; i < SST; i++) {
          if (load8(s, add64(tail, i)) !== FORBIDDENBYTE) {
            msg = 'bad trailing pad byte';
            break check;
          }
        }
        return;
      }
      throw new FatalError(func, msg, dumpAddress(s, p));
    } catch (e) {
      throw this.segvFatal(func, p, e);
    }
  }

  /** The side-table check that runs before any byte of p is read. */
  private checkKnown(func: string, p: number, op: 'free' | 'realloc'): void {
    const r = this.table.lookup(p);
    if (r === undefined) throw new FatalError(func, neverReturnedMessage(op, p));
    if (!r.live) throw new FatalError(func, freedBlockMessage(op, r));
  }

  /**
   * After the checks passed: a block whose API id byte was overwritten with this
   * domain's id, but whose memory belongs to another allocator (pymalloc vs the C
   * library), would now be handed to an allocator that does not own it.
   */
  private checkOwner(func: string, p: number, what: 'Free' | 'Realloc'): void {
    const r = this.table.lookup(p)!;
    if (r.owner !== this.inner) throw new FatalError(func, wrongAllocatorMessage(p, r.api, this.api, what));
  }

  /** Fatal if the memory just handed out by the inner allocator was written while freed. */
  private checkReuse(func: string, base: number, total: number): void {
    const r = this.table.dirtyOverlapping(base, base + total);
    if (r !== undefined) throw new FatalError(func, reusedDirtyMessage(r));
  }

  /** A SegvError (an access outside mapped memory) becomes a fatal error; others pass. */
  private segvFatal(func: string, p: number, e: unknown, sizeField?: bigint): unknown {
    if (!(e instanceof SegvError)) return e;
    let before = e.partial;
    if (before !== '' && !before.endsWith('\n')) before += '\n';
    if (sizeField !== undefined) return new FatalError(func, badSizeMessage(p, sizeField.toString(), e.faultAt), before);
    // Stryker disable next-line StringLiteral: p is a block these hooks decorated with checked stores, so its header at p-16 is mapped and the read below never faults; '?' is never printed
    let claimed = '?';
    try {
      claimed = readSizeT(this.space, add64(p, -HEADER_BYTES)).toString();
    } catch {
      // the header itself is unreadable; keep '?'
    }
    return new FatalError(func, badSizeMessage(p, claimed, e.faultAt), before);
  }
}

function minBig(a: bigint, b: bigint): bigint {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: each result only bounds subarray(0, x) of a buffer no longer than b, and subarray clamps, so always returning a changes nothing; `<=` differs only at a == b (false and `>=` are caught, but share the mutator names)
  return a < b ? a : b;
}

// --- messages for what CPython leaves undefined (documented in docs/debug-hooks.md) ---

export function neverReturnedMessage(op: 'free' | 'realloc', p: number): string {
  return `${op} of a pointer that was never returned by the allocator: p=${formatPointer(p)}`;
}

export function freedBlockMessage(op: 'free' | 'realloc', r: BlockRecord): string {
  const P = formatPointer(r.p);
  // Stryker disable next-line EqualityOperator: writtenAt is -1 or an address inside a freed block, at least USER_SPACE_LOW, never 0 (`<` is caught, but shares the mutator name)
  if (r.writtenAt >= 0) {
    return `use after free: the block at p=${P} was written at ${relative(r.writtenAt, r.p)} after it was freed by ${r.freedBy}, then ${op === 'free' ? 'freed again' : 'passed to realloc'}`;
  }
  return op === 'free'
    ? `double free: the block at p=${P} was already freed by ${r.freedBy}`
    : `use after free: realloc of the block at p=${P}, which was already freed by ${r.freedBy}`;
}

export function wrongAllocatorMessage(p: number, allocatedWith: string, usedWith: Api, what: 'Free' | 'Realloc'): string {
  return `wrong allocator: the block at p=${formatPointer(p)} was allocated using API '${allocatedWith}', but its API id byte was overwritten with '${usedWith}' and ${FAMILY_PREFIX[usedWith]}${what} would pass it to an allocator that does not own it`;
}

export function reusedDirtyMessage(r: BlockRecord): string {
  return `use after free: the block at p=${formatPointer(r.p)} was written at ${relative(r.writtenAt, r.p)} after it was freed by ${r.freedBy}, and its memory is now being reused`;
}

export function badSizeMessage(p: number, claimed: string, addr: bigint): string {
  return `bad size field: the block at p=${formatPointer(p)} claims ${claimed} bytes originally requested, so CPython would segfault accessing ${formatPointer(addr)}`;
}

// --- installation -----------------------------------------------------------------

/**
 * PyMem_SetupDebugHooks for a Runtime (the HookInstaller of runtime.ts): each domain
 * whose allocator is not already a debug allocator gets one wrapping it. Idempotent.
 */
export function installDebugHooks(rt: Runtime): void {
  let st = states.get(rt);
  if (st === undefined) {
    st = { space: rt.space, table: new BlockTable() };
    states.set(rt, st);
  }
  for (const api of APIS) {
    const domain = domainOf(api);
    const current = rt.getAllocator(domain);
    if (current instanceof DebugAllocator) continue;
    rt.setAllocator(domain, new DebugAllocator(api, current, st));
  }
}

/** The hooks' state of a runtime, if hooks were installed. */
export function debugState(rt: Runtime): DebugState | undefined {
  return states.get(rt);
}

/**
 * Tell the hooks that a byte was stored at addr from outside the allocators (a C
 * extension's write, a scenario `poke`), so writes into freed blocks can be reported.
 */
export function noteWrite(rt: Runtime, addr: number): void {
  states.get(rt)?.table.noteWrite(addr);
}
