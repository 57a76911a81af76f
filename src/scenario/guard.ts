/**
 * Undefined-behaviour reports for the modes without debug hooks (default, pymalloc,
 * malloc). Real CPython does not check anything there; a double free or a write into
 * freed memory corrupts the heap and crashes later, or not at all. The scenario runner
 * keeps this side table of the blocks the scenario itself got from the public functions
 * and reports those faults as fatal errors instead, with the same wording the debug
 * hooks use (docs/debug-hooks.md). It never touches the simulated memory.
 */
import type { Api } from '../domains/allocator.ts';
import type { Runtime } from '../domains/runtime.ts';
import { formatPointer } from '../debug/fatal.ts';
import { BlockTable } from '../debug/block-table.ts';
import { FAMILY_PREFIX } from '../debug/constants.ts';
import { freedBlockMessage, neverReturnedMessage, reusedDirtyMessage } from '../debug/debug-hooks.ts';
import { FatalError } from '../debug/fatal.ts';

export class PublicCallGuard {
  private readonly table = new BlockTable();

  constructor(private readonly rt: Runtime) {}

  /** Before PyX_Free(p) / PyX_Realloc(p, n) with p != NULL. */
  beforeRelease(api: Api, op: 'free' | 'realloc', p: number): void {
    if (p === 0) return;
    const func = `${FAMILY_PREFIX[api]}${op === 'free' ? 'Free' : 'Realloc'}`;
    const r = this.table.lookup(p);
    if (r === undefined) throw new FatalError(func, neverReturnedMessage(op, p));
    if (!r.live) throw new FatalError(func, freedBlockMessage(op, r));
    // PyMem_Raw* is the C library: a pymalloc block handed to it is not its own. (The
    // other way round is fine: pymalloc passes blocks outside its arenas to PyMem_Raw*.)
    if (api === 'r' &&
      // Stryker disable next-line ConditionalExpression,StringLiteral: a block recorded as 'r' came from PyMem_Raw*, which is the C library in every mode without hooks, so it is never in a pymalloc arena; this test only saves the arena lookup
      r.api !== 'r' &&
      this.rt.pymalloc.arenaOf(p) >= 0) {
      throw new FatalError(func, `wrong allocator: the block at p=${formatPointer(p)} was allocated using API '${r.api}' from a pymalloc arena, and ${func} would pass it to the C library, which does not own it`);
    }
  }

  afterFree(api: Api, p: number): void {
    // Stryker disable next-line ConditionalExpression: the table never holds NULL (afterAlloc skips it), so released(0, ...) finds nothing and does nothing (false is caught, but shares the mutator name)
    if (p !== 0) this.table.released(p, `${FAMILY_PREFIX[api]}Free`);
  }

  /** After PyX_Malloc / PyX_Calloc returned q for n bytes. */
  afterAlloc(api: Api, func: 'Malloc' | 'Calloc' | 'Realloc', q: number, n: number): void {
    if (q === 0) return;
    const r = this.table.dirtyOverlapping(q, q + n);
    if (r !== undefined) throw new FatalError(`${FAMILY_PREFIX[api]}${func}`, reusedDirtyMessage(r));
    this.table.allocated(q, q, q + n, api, null);
  }

  /** After PyX_Realloc(p, n) returned q. */
  afterRealloc(api: Api, p: number, n: number, q: number): void {
    if (q === 0) return; // failed: p is intact
    // Stryker disable next-line ConditionalExpression: with p NULL the path below does released(0, ...), which finds nothing, then the same afterAlloc call (true is caught, but shares the mutator name)
    if (p === 0) return this.afterAlloc(api, 'Realloc', q, n);
    if (q === p) {
      this.table.resized(p, p, p + n);
      return;
    }
    this.table.released(p, `${FAMILY_PREFIX[api]}Realloc`);
    this.afterAlloc(api, 'Realloc', q, n);
  }

  noteWrite(addr: number): void {
    this.table.noteWrite(addr);
  }
}
