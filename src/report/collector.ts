/**
 * ReportCollector: the replay observer behind `--report`. It samples the model's state
 * every `interval` events into fixed typed-array columns (adaptive: when the columns
 * are full, every other sample is dropped and the interval doubles, so any trace ends
 * with between CAPACITY/2 and CAPACITY samples), and snapshots the arena map and the
 * size-class table at every checkpoint (`# mark …`, `# phase after-runmain`), at the
 * moment the final arena high-water mark was set, and at the end.
 *
 * Nothing is allocated per event: a sample is a scan of the carved pools into
 * preallocated columns.
 */
import { SLOT_SIZE } from '../memory/address-space.ts';
import { NB_SMALL_SIZE_CLASSES, POOL_SIZE } from '../pymalloc/constants.ts';
import { poolOf, type PymallocState, PH_COUNT, PH_SZIDX, PH_WORDS } from '../pymalloc/state.ts';
import { isCheckpoint, type ReplayObserver } from '../trace/replay.ts';
import type { Checkpoint, Rule, Timeline } from './data.ts';
import { snapshot } from './snapshot.ts';

/** Most samples kept (the timeline is drawn about 1200 pixels wide). */
export const CAPACITY = 2048;
/** Events between the first samples. */
export const FIRST_INTERVAL = 64;

export class ReportCollector implements ReplayObserver {
  interval: number;
  n = 0;
  private readonly capacity: number;
  private readonly ev: Float64Array;
  private readonly narenas: Int32Array;
  private readonly hw: Int32Array;
  private readonly byClass: Int32Array;
  private lastAddress = new Float64Array(0);
  private ntimesSeen = 0;
  private hwSeen = 0;
  private hwSnapshot: Checkpoint | null = null;
  readonly rules: Rule[] = [];
  readonly checkpoints: Checkpoint[] = [];
  private state: (() => PymallocState) | null = null;

  constructor(opts: { capacity?: number; interval?: number } = {}) {
    this.capacity = opts.capacity ?? CAPACITY;
    if (this.capacity < 2 || this.capacity % 2 !== 0) throw new RangeError('ReportCollector: capacity must be even and >= 2');
    this.interval = opts.interval ?? FIRST_INTERVAL;
    this.ev = new Float64Array(this.capacity);
    this.narenas = new Int32Array(this.capacity);
    this.hw = new Int32Array(this.capacity);
    this.byClass = new Int32Array(this.capacity * NB_SMALL_SIZE_CLASSES);
  }

  /** The model to watch (Replayer.pymallocState); call before the replay starts. */
  attach(state: () => PymallocState): void {
    this.state = state;
    this.sample(0, 0);
  }

  private s(): PymallocState {
    if (this.state === null) throw new Error('ReportCollector: attach() was not called');
    return this.state();
  }

  sample(events: number, _line: number): void {
    const s = this.s();
    if (this.n === this.capacity) this.decimate();
    const k = this.n++;
    this.ev[k] = events;
    this.narenas[k] = s.narenas_currently_allocated;
    this.hw[k] = s.narenas_highwater;
    const row = k * NB_SMALL_SIZE_CLASSES;
    this.byClass.fill(0, row, row + NB_SMALL_SIZE_CLASSES);
    let scanned = 0;
    const ph = s.ph;
    for (let ao = 0; ao < s.maxarenas; ao++) {
      const base = s.address[ao];
      if (base === 0) continue;
      const first = poolOf(ao * SLOT_SIZE + (base % POOL_SIZE !== 0 ? POOL_SIZE : 0));
      const end = poolOf(s.pool_address[ao]);
      for (let p = first; p < end; p++) {
        const count = ph[p * PH_WORDS + PH_COUNT];
        if (count !== 0) this.byClass[row + ph[p * PH_WORDS + PH_SZIDX]] += count;
      }
      scanned += end - first;
    }
    // A scan costs about as much as a few events per pool: keep it a small share.
    while (this.interval < scanned) this.interval *= 2;
  }

  /** Keep samples 0, 2, 4, ...: the columns are half full and evenly thinned. */
  private decimate(): void {
    const half = this.capacity / 2;
    for (let j = 0; j < half; j++) {
      const from = 2 * j;
      this.ev[j] = this.ev[from];
      this.narenas[j] = this.narenas[from];
      this.hw[j] = this.hw[from];
      this.byClass.copyWithin(j * NB_SMALL_SIZE_CLASSES, from * NB_SMALL_SIZE_CLASSES, (from + 1) * NB_SMALL_SIZE_CLASSES);
    }
    this.n = half;
    this.interval *= 2;
  }

  afterNested(events: number, line: number): void {
    const s = this.s();
    if (s.ntimes_arena_allocated !== this.ntimesSeen) {
      this.ntimesSeen = s.ntimes_arena_allocated;
      this.noteArenas(s);
    }
    if (s.narenas_highwater !== this.hwSeen) {
      this.hwSeen = s.narenas_highwater;
      this.hwSnapshot = snapshot(s, this.lastAddress, {
        kind: 'highwater', label: `arena high-water mark reached (${s.narenas_highwater} arenas)`, events, line,
      });
    }
  }

  /** Remember the base of every arena object that has an arena (to show released ones). */
  private noteArenas(s: PymallocState): void {
    if (this.lastAddress.length < s.maxarenas) {
      const a = new Float64Array(s.maxarenas);
      a.set(this.lastAddress);
      this.lastAddress = a;
    }
    for (let i = 0; i < s.maxarenas; i++) if (s.address[i] !== 0) this.lastAddress[i] = s.address[i];
  }

  comment(text: string, line: number, events: number): void {
    const kind = text.startsWith('mark ') ? 'mark' : text.startsWith('phase ') ? 'phase' : null;
    if (kind === null) return;
    this.rules.push({ events, line, kind, label: text.slice(kind.length + 1) });
    if (isCheckpoint(text)) {
      this.checkpoints.push(snapshot(this.s(), this.lastAddress, { kind, label: text, events, line }));
    }
  }

  /** End of the replay: a last sample and the end snapshot; all checkpoints by time. */
  finish(events: number, line: number): { timeline: Timeline; checkpoints: Checkpoint[]; rules: Rule[] } {
    const s = this.s();
    this.noteArenas(s);
    if (this.n === 0 || this.ev[this.n - 1] !== events) this.sample(events, line);
    const cps = [...this.checkpoints];
    if (this.hwSnapshot !== null) cps.push(this.hwSnapshot);
    cps.push(snapshot(s, this.lastAddress, { kind: 'end', label: 'end of the replay', events, line }));
    cps.sort((a, b) => a.events - b.events || a.line - b.line);
    const n = this.n;
    const blocksByClass: number[][] = [];
    for (let c = 0; c < NB_SMALL_SIZE_CLASSES; c++) {
      const col: number[] = new Array<number>(n);
      for (let k = 0; k < n; k++) col[k] = this.byClass[k * NB_SMALL_SIZE_CLASSES + c];
      blocksByClass.push(col);
    }
    const blocks = new Array<number>(n).fill(0);
    for (const col of blocksByClass) for (let k = 0; k < n; k++) blocks[k] += col[k];
    return {
      timeline: {
        interval: this.interval,
        events: Array.from(this.ev.subarray(0, n)),
        narenas: Array.from(this.narenas.subarray(0, n)),
        highwater: Array.from(this.hw.subarray(0, n)),
        blocks,
        blocksByClass,
      },
      checkpoints: cps,
      rules: [...this.rules],
    };
  }
}
