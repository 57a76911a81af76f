/**
 * The numbers an HTML report carries (src/report/html.ts writes them into the page as
 * JSON; page.js draws them). Everything is read from PymallocState, the state that
 * _PyObject_DebugMallocStats (src/pymalloc/stats.ts) is computed from.
 */

/** Pool cell codes in ArenaRow.cells (one per pool of the arena, in address order). */
/** A frame never carved into a pool (past the arena's pool_address). */
export const CELL_VIRGIN = -1;
/** An empty pool on the arena's freepools stack: CELL_EMPTY - szidx (it keeps its class). */
export const CELL_EMPTY = -2;
/** A used or full pool: szidx * CELL_CLASS_MUL + count (count <= 1021 < CELL_CLASS_MUL). */
export const CELL_CLASS_MUL = 1024;

export interface ArenaRow {
  /** Index of the arena object in the `arenas` vector. */
  index: number;
  /** `allocated` (has an arena now) or `released` (had one, gave it back). */
  state: 'allocated' | 'released';
  /** Base address (hex): the current one, or the last one a released object held. */
  address: string;
  nfreepools: number;
  ntotalpools: number;
  /** Position in usable_arenas (0 = head), -1 if not on it (full, or released). */
  usable: number;
  /** Pool cells (see CELL_*), empty for a released arena or when details were dropped. */
  cells: number[];
}

/** One row of the size-class table, for the classes _debugmallocstats prints (num pools != 0). */
export interface ClassRow {
  cls: number;
  size: number;
  pools: number;
  blocks: number;
  avail: number;
}

export interface Totals {
  arenasAllocatedTotal: number;
  arenasReclaimed: number;
  arenasHighwater: number;
  arenasCurrent: number;
  allocatedBytes: number;
  availableBytes: number;
  unusedPools: number;
  poolHeaderBytes: number;
  quantization: number;
  arenaAlignment: number;
  rawAllocatedBlocks: number;
}

export interface Checkpoint {
  kind: 'mark' | 'phase' | 'highwater' | 'end';
  /** The comment text (`mark json-built`), or a description for highwater/end. */
  label: string;
  /** Event lines replayed before this moment. */
  events: number;
  /** Trace line of the moment. */
  line: number;
  /** Arena objects that have (or had) an arena, by index. */
  arenas: ArenaRow[];
  /** Arena objects never given an arena (of maxarenas). */
  neverUsed: number;
  /** usable_arenas from head to tail (arena indexes). */
  usableOrder: number[];
  table: ClassRow[];
  totals: Totals;
  /** False when the pool cells were dropped to keep the page small. */
  detail: boolean;
}

export interface Timeline {
  /** Events between samples at the end (adaptive: doubles as the trace goes on). */
  interval: number;
  /** Per sample: events replayed, arenas allocated, high-water mark, blocks in use. */
  events: number[];
  narenas: number[];
  highwater: number[];
  blocks: number[];
  /** blocksByClass[c][k]: blocks of class c in use at sample k. */
  blocksByClass: number[][];
}

export interface Rule {
  events: number;
  line: number;
  kind: 'mark' | 'phase';
  label: string;
}

export interface ReportData {
  title: string;
  source: string;
  python: string;
  generated: string;
  ok: boolean;
  /** One line about a mismatch, when the replay stopped at one. */
  problem?: string;
  events: number;
  classSizes: number[];
  blocksPerPool: number[];
  arenaSize: number;
  poolSize: number;
  timeline: Timeline;
  rules: Rule[];
  checkpoints: Checkpoint[];
  /** Checkpoints whose pool cells were dropped, to keep the page under its budget. */
  droppedDetail: number;
}
