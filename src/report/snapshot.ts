/**
 * A checkpoint of the report: the arena map (one row per arena object, one cell per
 * pool) and the size-class table, read from PymallocState. The table is the one
 * _PyObject_DebugMallocStats prints (collectMallocStats, the same function stats.ts
 * formats), so at a `# mark` it must equal the recorded section.
 */
import { SLOT_SIZE } from '../memory/address-space.ts';
import { INDEX2SIZE, NB_SMALL_SIZE_CLASSES, POOL_SIZE } from '../pymalloc/constants.ts';
import { NIL, poolOf, type PymallocState, PH_COUNT, PH_SZIDX, PH_WORDS } from '../pymalloc/state.ts';
import { collectMallocStats } from '../pymalloc/stats.ts';
import { type ArenaRow, CELL_CLASS_MUL, CELL_EMPTY, CELL_VIRGIN, type Checkpoint, type ClassRow } from './data.ts';

const hex = (a: number): string => `0x${a.toString(16)}`;

/** usable_arenas from head to tail. */
export function usableOrder(s: PymallocState): number[] {
  const out: number[] = [];
  // Bounded by maxarenas in case of a (model) cycle: a report must never hang.
  for (let a = s.usable_arenas; a !== NIL && out.length <= s.maxarenas; a = s.nextarena[a]) out.push(a);
  return out;
}

/**
 * The pool cells of allocated arena `ao`, in address order: the arena's pools (63 when
 * its base is not pool-aligned, the first frame of its slot then being the alignment
 * gap), each carved one as class and count, or empty, and the rest never carved.
 */
export function poolCells(s: PymallocState, ao: number): number[] {
  const first = poolOf(ao * SLOT_SIZE + (s.address[ao] % POOL_SIZE !== 0 ? POOL_SIZE : 0));
  const carvedEnd = poolOf(s.pool_address[ao]);
  const cells: number[] = [];
  for (let k = 0; k < s.ntotalpools[ao]; k++) {
    const p = first + k;
    if (p >= carvedEnd) cells.push(CELL_VIRGIN);
    else {
      const count = s.ph[p * PH_WORDS + PH_COUNT];
      const sz = s.ph[p * PH_WORDS + PH_SZIDX];
      cells.push(count === 0 ? CELL_EMPTY - sz : sz * CELL_CLASS_MUL + count);
    }
  }
  return cells;
}

/**
 * Snapshot the state. `lastAddress[i]` is the last base address arena object i held
 * (0 if it never had an arena): an object with no arena now but a last address was
 * released.
 */
export function snapshot(
  s: PymallocState, lastAddress: ArrayLike<number>,
  where: { kind: Checkpoint['kind']; label: string; events: number; line: number },
): Checkpoint {
  const order = usableOrder(s);
  const pos = new Map<number, number>();
  order.forEach((a, k) => pos.set(a, k));
  const arenas: ArenaRow[] = [];
  let neverUsed = 0;
  for (let i = 0; i < s.maxarenas; i++) {
    const base = s.address[i];
    const last = i < lastAddress.length ? lastAddress[i] : 0;
    if (base === 0 && last === 0) {
      neverUsed++;
      continue;
    }
    const allocated = base !== 0;
    arenas.push({
      index: i,
      state: allocated ? 'allocated' : 'released',
      address: hex(allocated ? base : last),
      nfreepools: allocated ? s.nfreepools[i] : 0,
      ntotalpools: allocated ? s.ntotalpools[i] : 0,
      usable: allocated ? (pos.get(i) ?? -1) : -1,
      cells: allocated ? poolCells(s, i) : [],
    });
  }
  const st = collectMallocStats(s);
  const table: ClassRow[] = [];
  for (let c = 0; c < NB_SMALL_SIZE_CLASSES; c++) {
    if (st.numpools[c] === 0) continue;
    table.push({ cls: c, size: INDEX2SIZE(c), pools: st.numpools[c], blocks: st.numblocks[c], avail: st.numfreeblocks[c] });
  }
  return {
    ...where,
    arenas,
    neverUsed,
    usableOrder: order,
    table,
    totals: {
      arenasAllocatedTotal: st.ntimesArenaAllocated,
      arenasReclaimed: st.ntimesArenaAllocated - st.narenas,
      arenasHighwater: st.narenasHighwater,
      arenasCurrent: st.narenas,
      allocatedBytes: st.allocatedBytes,
      availableBytes: st.availableBytes,
      unusedPools: st.numfreepools,
      poolHeaderBytes: st.poolHeaderBytes,
      quantization: st.quantization,
      arenaAlignment: st.arenaAlignment,
      rawAllocatedBlocks: s.raw_allocated_blocks,
    },
    detail: true,
  };
}
