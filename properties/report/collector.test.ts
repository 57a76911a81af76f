/**
 * The report's collector and page data without a browser: the observer leaves the replay
 * untouched, adaptive sampling keeps a bounded number of exact samples, checkpoints land
 * where they should, the page budget drops pool detail in the documented order, and the
 * CLI options behave (one-line errors, exit 2).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/io.ts';
import { replayCommand } from '../../src/cli/replay.ts';
import { statsCommand } from '../../src/cli/stats.ts';
import { NB_SMALL_SIZE_CLASSES } from '../../src/pymalloc/constants.ts';
import { poolOf, PH_COUNT, PH_SZIDX, PH_WORDS, type PymallocState } from '../../src/pymalloc/state.ts';
import { collectMallocStats, debugMallocStats } from '../../src/pymalloc/stats.ts';
import { SLOT_SIZE } from '../../src/memory/address-space.ts';
import { ReportCollector } from '../../src/report/collector.ts';
import { CELL_CLASS_MUL, CELL_EMPTY, CELL_VIRGIN } from '../../src/report/data.ts';
import { reportData } from '../../src/report/html.ts';
import { readStatsFile, Replayer, type ReplayObserver, runReplay } from '../../src/trace/replay.ts';
import { captureIo, FIXTURES } from '../trace/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'objimpl-report-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (n: string): string => join(FIXTURES, `${n}.trace.gz`);

/** Blocks in use per class, scanned here from the pool headers (not through src/report). */
function truth(s: PymallocState): number[] {
  const out = new Array<number>(NB_SMALL_SIZE_CLASSES).fill(0);
  for (let ao = 0; ao < s.maxarenas; ao++) {
    if (s.address[ao] === 0) continue;
    for (let p = poolOf(ao * SLOT_SIZE); p < poolOf(s.pool_address[ao]); p++) {
      const c = s.ph[p * PH_WORDS + PH_COUNT];
      if (c !== 0) out[s.ph[p * PH_WORDS + PH_SZIDX]] += c;
    }
  }
  return out;
}

async function collect(name: string, capacity: number, check?: Map<number, { narenas: number; blocks: number[] }>) {
  const c = new ReportCollector({ capacity, interval: 16 });
  const obs: ReplayObserver = check === undefined ? c : {
    get interval() { return c.interval; },
    set interval(v: number) { c.interval = v; },
    sample: (ev, line) => {
      check.set(ev, { narenas: r.pymallocState.narenas_currently_allocated, blocks: truth(r.pymallocState) });
      c.sample(ev, line);
    },
    afterNested: (ev, line) => c.afterNested(ev, line),
    comment: (t, line, ev) => c.comment(t, line, ev),
  };
  const stats = readStatsFile(join(FIXTURES, `${name}.stats`));
  const r: Replayer = new Replayer({ stats, observer: obs });
  c.attach(() => r.pymallocState);
  const summary = await runReplay(r, fixture(name), { stats });
  return { c, r, summary, result: c.finish(summary.events, summary.lines) };
}

describe('ReportCollector', () => {
  it('watching changes nothing: the replay still matches every checkpoint byte for byte', async () => {
    const { r, summary } = await collect('churn', 64);
    expect(summary.ok).toBe(true);
    expect(summary.checkpoints).toEqual({ compared: 9, matched: 9, total: 9 });
    const plain = new Replayer();
    await runReplay(plain, fixture('churn'));
    expect(debugMallocStats(r.pymallocState)).toBe(debugMallocStats(plain.pymallocState));
  });

  it('adaptive sampling keeps between capacity/2 and capacity samples, each exact at its event', async () => {
    const check = new Map<number, { narenas: number; blocks: number[] }>();
    const { r, summary, result } = await collect('startup', 32, check);
    const t = result.timeline;
    const n = t.events.length;
    expect(n).toBeGreaterThanOrEqual(16);
    expect(n).toBeLessThanOrEqual(33); // capacity, plus the end sample
    expect(t.events[0]).toBe(0);
    expect(t.events[n - 1]).toBe(summary.events);
    for (let k = 1; k < n; k++) expect(t.events[k]).toBeGreaterThan(t.events[k - 1]);
    for (let k = 1; k < n - 1; k++) {
      const want = check.get(t.events[k]);
      expect(want, `sample at event ${t.events[k]}`).toBeDefined();
      expect(t.narenas[k]).toBe(want!.narenas);
      expect(t.blocksByClass.map((col) => col[k])).toEqual(want!.blocks);
      expect(t.blocks[k]).toBe(want!.blocks.reduce((a, b) => a + b, 0));
    }
    const st = collectMallocStats(r.pymallocState);
    expect(t.blocksByClass.map((col) => col[n - 1])).toEqual(st.numblocks);
    expect(t.narenas[n - 1]).toBe(st.narenas);
    expect(t.highwater[n - 1]).toBe(st.narenasHighwater);
  });

  it('checkpoints: every stats checkpoint, the last high-water rise and the end, in order; cells encode the pools', async () => {
    const { r, result } = await collect('churn', 256);
    const cps = result.checkpoints;
    expect(cps.map((c) => c.kind)).toEqual(['mark', 'mark', 'mark', 'mark', 'highwater', 'mark', 'mark', 'mark', 'mark', 'phase', 'end']);
    for (let k = 1; k < cps.length; k++) expect(cps[k].events).toBeGreaterThanOrEqual(cps[k - 1].events);
    const hw = cps.find((c) => c.kind === 'highwater')!;
    expect(hw.arenas.filter((a) => a.state === 'allocated').length).toBe(12);
    expect(hw.totals.arenasHighwater).toBe(12);
    const end = cps[cps.length - 1];
    const s = r.pymallocState;
    // churn gives 11 arenas back: their objects show as released (or hold a new arena).
    expect(end.arenas.filter((a) => a.state === 'released').length).toBeGreaterThan(0);
    for (const a of end.arenas) {
      if (a.state === 'released') {
        expect(s.address[a.index]).toBe(0);
        continue;
      }
      expect(a.address).toBe(`0x${s.address[a.index].toString(16)}`);
      expect(a.cells.length).toBe(s.ntotalpools[a.index]);
      expect(a.cells.filter((x) => x === CELL_VIRGIN || x <= CELL_EMPTY).length).toBe(s.nfreepools[a.index]);
    }
    const blocks = new Array<number>(NB_SMALL_SIZE_CLASSES).fill(0);
    for (const a of end.arenas) for (const x of a.cells) if (x >= 0) blocks[Math.floor(x / CELL_CLASS_MUL)] += x % CELL_CLASS_MUL;
    expect(blocks).toEqual(collectMallocStats(s).numblocks);
    expect(result.rules.map((x) => x.kind)).toContain('phase');
    expect(result.rules.filter((x) => x.kind === 'mark').length).toBe(8);
  });

  it('the page budget drops pool cells of marks first, high-water and end last, and keeps every table', async () => {
    const { result } = await collect('churn', 256);
    const base = { title: 't', source: 's', python: '3.11.7', ok: true, events: 1, timeline: result.timeline, rules: result.rules };
    const clone = () => structuredClone(result.checkpoints);
    const full = reportData({ ...base, checkpoints: clone() });
    expect(full.droppedDetail).toBe(0);
    const size = JSON.stringify(full).length;
    const some = reportData({ ...base, checkpoints: clone() }, size - 1);
    expect(some.droppedDetail).toBe(1);
    expect(some.checkpoints.filter((c) => !c.detail).map((c) => c.kind)).toEqual(['mark']);
    const none = reportData({ ...base, checkpoints: clone() }, 0);
    expect(none.droppedDetail).toBe(none.checkpoints.length);
    // Tighter and tighter: marks go first, then the phase, high-water, end last.
    const rank = { mark: 0, phase: 1, highwater: 2, end: 3 } as const;
    for (let b = size; b > 0; b -= 500) {
      const d = reportData({ ...base, checkpoints: clone() }, b);
      const dropped = d.checkpoints.filter((c) => !c.detail).map((c) => rank[c.kind]);
      const kept = d.checkpoints.filter((c) => c.detail).map((c) => rank[c.kind]);
      if (dropped.length > 0 && kept.length > 0) expect(Math.max(...dropped)).toBeLessThanOrEqual(Math.min(...kept));
      expect(d.droppedDetail).toBe(dropped.length);
    }
    for (const c of none.checkpoints) {
      expect(c.table.length).toBeGreaterThan(0);
      expect(c.arenas.every((a) => a.cells.length === 0)).toBe(true);
    }
  });
});

describe('--report on the command line', () => {
  it('replay --report without a file is a usage error; an unwritable path is exit 2 in one line', async () => {
    await expect(replayCommand([fixture('startup'), '--report'], captureIo())).rejects.toThrow(UsageError);
    const io = captureIo();
    expect(await replayCommand([fixture('startup'), '--report', join(dir, 'no/such/dir/x.html')], io)).toBe(2);
    expect(io.err).toMatch(/^objimpl replay: .*x\.html: no such file\n$/);
  });

  it('replay --json names the page and its size', async () => {
    const io = captureIo();
    const out = join(dir, 'startup.html');
    expect(await replayCommand([fixture('startup'), '--report', out, '--json'], io)).toBe(0);
    const j = JSON.parse(io.out) as { report: { path: string; bytes: number } };
    expect(j.report.path).toBe(out);
    expect(j.report.bytes).toBe(readFileSync(out).length);
  });

  it('stats --report writes the same page after a replay, and for a fresh model', async () => {
    const out = join(dir, 'stats.html');
    const io = captureIo();
    expect(await statsCommand([fixture('startup'), '--report', out], io)).toBe(0);
    expect(io.out).toBe(readFileSync(join(FIXTURES, 'startup.stats'), 'latin1').split('### phase after-runmain\n')[1]);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('data-kind="end"');
    expect(html).toContain('data-kind="highwater"');
    const fresh = join(dir, 'fresh.html');
    expect(await statsCommand(['--report', fresh], captureIo())).toBe(0);
    expect(existsSync(fresh)).toBe(true);
    await expect(statsCommand(['--report'], captureIo())).rejects.toThrow(UsageError);
  });
});
