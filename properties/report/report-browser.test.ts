/**
 * Acceptance test of the HTML report (issue 14), in a real browser: Debian's chromium,
 * headless, driven by playwright-core. For each fixture trace the report is written by
 * the CLI (`objimpl replay TRACE --stats FILE --report OUT.html`), opened from disk,
 * screenshotted, and read back from the page's DOM:
 *  - at every checkpoint, the arena rows (index, state, base, nfreepools, usable_arenas
 *    position) equal what the replay's own model held at that moment (recorded here by
 *    an independent observer), and at the marks the arenas allocated, pools per class,
 *    blocks per class and unused pools read off the map's cells equal the RECORDED
 *    _debugmallocstats (real CPython 3.11.7 output, fixtures/traces/*.stats);
 *  - the size-class table equals the recorded numbers (class, size, num pools, blocks in
 *    use, avail blocks) and its arena totals equal the recorded ones;
 *  - the page logged no error and requested nothing but itself.
 *
 * Chromium is installed by .ci/run. Without it the test fails in CI (CI or
 * OBJIMPL_REQUIRE_CHROMIUM set) and is skipped, with the reason, elsewhere.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayCommand } from '../../src/cli/replay.ts';
import { NIL } from '../../src/pymalloc/state.ts';
import { isCheckpoint, readStatsFile, Replayer, type ReplayObserver, runReplay } from '../../src/trace/replay.ts';
import { captureIo, FIXTURE_NAMES, FIXTURES } from '../trace/helpers.ts';
import { type Browser, CHROMIUM, chromiumInstalled, launchChromium } from './browser.ts';

const required = process.env.CI !== undefined || process.env.OBJIMPL_REQUIRE_CHROMIUM !== undefined;
const have = chromiumInstalled();
if (!have && !required) console.warn(`report browser test skipped: ${CHROMIUM} is not installed (apt-get install -y chromium; .ci/run does it)`);

/** What the recorded _debugmallocstats section says (parsed here, independently of src/). */
interface Recorded {
  classes: Array<{ cls: number; size: number; pools: number; blocks: number; avail: number }>;
  values: Record<string, number>;
}
function parseRecorded(text: string): Recorded {
  const classes: Recorded['classes'] = [];
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(line);
    if (m !== null) classes.push({ cls: +m[1], size: +m[2], pools: +m[3], blocks: +m[4], avail: +m[5] });
    const v = /^(.*?)\s*=\s*([\d,]+)$/.exec(line);
    if (v !== null && !(v[1] in values)) values[v[1]] = Number(v[2].replace(/,/g, ''));
    const u = /^(\d+) unused pools \* 16384 bytes/.exec(line);
    if (u !== null) values['unused pools'] = Number(u[1]);
  }
  return { classes, values };
}

/** The replay's own arena objects at a moment: a plain copy of the state arrays. */
interface ArenaCount { index: number; address: string; nfreepools: number; usable: number }
function arenaCounts(r: Replayer): ArenaCount[] {
  const s = r.pymallocState;
  const pos: number[] = [];
  for (let a = s.usable_arenas, k = 0; a !== NIL; a = s.nextarena[a], k++) pos[a] = k;
  const out: ArenaCount[] = [];
  for (let i = 0; i < s.maxarenas; i++) {
    if (s.address[i] !== 0) out.push({ index: i, address: `0x${s.address[i].toString(16)}`, nfreepools: s.nfreepools[i], usable: pos[i] ?? -1 });
  }
  return out;
}

/** Replays the trace with an observer of its own: the counts at each checkpoint, at the last high-water rise, and at the end. */
async function replayCounts(trace: string): Promise<Map<string, ArenaCount[]>> {
  const at = new Map<string, ArenaCount[]>();
  let hw = 0;
  const r: Replayer = new Replayer({
    observer: {
      interval: 1 << 30,
      sample: () => {},
      afterNested: () => {
        if (r.pymallocState.narenas_highwater !== hw) {
          hw = r.pymallocState.narenas_highwater;
          at.set('highwater', arenaCounts(r));
        }
      },
      comment: (text) => { if (isCheckpoint(text)) at.set(text, arenaCounts(r)); },
    } satisfies ReplayObserver,
  });
  const summary = await runReplay(r, trace);
  expect(summary.ok).toBe(true);
  at.set('end', arenaCounts(r));
  return at;
}

interface PageCheckpoint {
  kind: string;
  label: string;
  rows: Array<{ index: number; state: string; address: string; nfreepools: number; usable: number; cells: Array<{ kind: string; cls: number; count: number }> }>;
  table: Array<{ cls: number; size: number; pools: number; blocks: number; avail: number }>;
  totals: Record<string, number>;
}

describe.skipIf(!have && !required)('the HTML report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    if (!have) throw new Error(`${CHROMIUM} is not installed, but this run requires it (CI / OBJIMPL_REQUIRE_CHROMIUM): .ci/run installs it with apt-get install -y chromium`);
    dir = mkdtempSync(join(tmpdir(), 'objimpl-report-'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of FIXTURE_NAMES) {
    it(`${name}: arena rows, size classes and totals equal the replay and the recorded _debugmallocstats; no page error`, async () => {
      const trace = join(FIXTURES, `${name}.trace.gz`);
      const statsPath = join(FIXTURES, `${name}.stats`);
      const out = join(dir, `${name}.html`);
      const io = captureIo();
      expect(await replayCommand([trace, '--stats', statsPath, '--report', out], io)).toBe(0);
      expect(io.out).toContain(`report: ${out}`);
      const html = readFileSync(out, 'utf8');
      // Self-contained: nothing fetched from anywhere.
      expect(html).not.toMatch(/\b(src|href)\s*=\s*["'](?!#|data:)/i);
      expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);

      const recorded = new Map(readStatsFile(statsPath).map((s) => [s.label, parseRecorded(s.text)]));
      const counts = await replayCounts(trace);

      const page = await browser.context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      page.on('request', (req) => requests.push(req.url()));
      const url = pathToFileURL(out).href;
      await page.goto(url);
      await page.waitForSelector('body[data-ready="1"]', { timeout: 10000 });
      const shot = join(dir, `${name}.png`);
      await page.screenshot({ path: shot, fullPage: false });
      expect(statSync(shot).size).toBeGreaterThan(10000);

      const tabs = await page.$$eval('.tabs button', (bs) => bs.map((b) => b.getAttribute('data-checkpoint')));
      expect(tabs.length).toBe(recorded.size + 2); // every stats checkpoint, high-water, end
      const seen: PageCheckpoint[] = [];
      for (const k of tabs) {
        await page.click(`.tabs button[data-checkpoint="${k}"]`);
        await page.waitForSelector(`#map-${k} svg .arena-row, #map-${k}[data-drawn="1"]`);
        seen.push(await page.evaluate((k) => {
          // Runs in the page; the project compiles without the DOM library, hence the local type.
          interface El { hidden: boolean; getAttribute(a: string): string | null; querySelectorAll(s: string): Iterable<El> }
          const doc = (globalThis as unknown as { document: { querySelector(s: string): El } }).document;
          const panel = doc.querySelector(`.cp-panel[data-checkpoint="${k}"]`);
          const num = (e: El, a: string): number => Number(e.getAttribute(a));
          return {
            kind: panel.getAttribute('data-kind')!,
            label: panel.getAttribute('data-label')!,
            hidden: panel.hidden,
            rows: [...panel.querySelectorAll('.arena-row')].map((g) => ({
              index: num(g, 'data-index'), state: g.getAttribute('data-state')!, address: g.getAttribute('data-address')!,
              nfreepools: num(g, 'data-nfreepools'), usable: num(g, 'data-usable'),
              cells: [...g.querySelectorAll('rect.pool')].map((c) => ({ kind: c.getAttribute('data-kind')!, cls: num(c, 'data-cls'), count: num(c, 'data-count') })),
            })),
            table: [...panel.querySelectorAll('table.size-classes tbody tr')].map((tr) => ({
              cls: num(tr, 'data-cls'), size: num(tr, 'data-size'), pools: num(tr, 'data-pools'), blocks: num(tr, 'data-blocks'), avail: num(tr, 'data-avail'),
            })),
            totals: Object.fromEntries([...panel.querySelectorAll('table.totals tr')].map((tr) => [tr.getAttribute('data-key')!, num(tr, 'data-value')])),
          };
        }, k));
        expect((seen[seen.length - 1] as unknown as { hidden: boolean }).hidden).toBe(false);
      }
      const lastRecorded = [...recorded.values()].pop()!;
      for (const cp of seen) {
        const key = cp.kind === 'highwater' || cp.kind === 'end' ? cp.kind : cp.label;
        const want = counts.get(key);
        expect(want, `replay counts for ${key}`).toBeDefined();
        const allocated = cp.rows.filter((r) => r.state === 'allocated');
        expect(allocated.map(({ index, address, nfreepools, usable }) => ({ index, address, nfreepools, usable })), `${name} ${key}: arena rows`).toEqual(want);
        // Every allocated row shows all its pools; free pools read off the cells agree with nfreepools.
        for (const r of allocated) {
          expect(r.cells.filter((c) => c.kind === 'empty' || c.kind === 'virgin').length).toBe(r.nfreepools);
        }
        for (const r of cp.rows.filter((r) => r.state === 'released')) expect(r.cells).toEqual([]);
        if (cp.kind === 'highwater') expect(allocated.length).toBe(lastRecorded.values['# arenas highwater mark']);
        const rec = recorded.get(cp.label.replace(/ \(.*$/, ''));
        if (rec === undefined) continue;
        // The size-class table against the recorded numbers.
        expect(cp.table, `${name} ${cp.label}: size-class table`).toEqual(rec.classes);
        expect(cp.totals['arenas-allocated-total']).toBe(rec.values['# arenas allocated total']);
        expect(cp.totals['arenas-reclaimed']).toBe(rec.values['# arenas reclaimed']);
        expect(cp.totals['arenas-highwater']).toBe(rec.values['# arenas highwater mark']);
        expect(cp.totals['arenas-current']).toBe(rec.values['# arenas allocated current']);
        expect(cp.totals['allocated-bytes']).toBe(rec.values['# bytes in allocated blocks']);
        expect(cp.totals['available-bytes']).toBe(rec.values['# bytes in available blocks']);
        expect(cp.totals['unused-pools']).toBe(rec.values['unused pools']);
        // The map itself against the recorded numbers: rows, pools and blocks per class.
        expect(allocated.length).toBe(rec.values['# arenas allocated current']);
        const pools = new Map<number, { pools: number; blocks: number }>();
        let free = 0;
        for (const r of allocated) {
          for (const c of r.cells) {
            if (c.kind === 'used' || c.kind === 'full') {
              const e = pools.get(c.cls) ?? { pools: 0, blocks: 0 };
              e.pools++;
              e.blocks += c.count;
              pools.set(c.cls, e);
            } else free++;
          }
        }
        expect([...pools.entries()].sort((a, b) => a[0] - b[0]).map(([cls, e]) => ({ cls, ...e })))
          .toEqual(rec.classes.map(({ cls, pools, blocks }) => ({ cls, pools, blocks })));
        expect(free).toBe(rec.values['unused pools']);
      }
      // Every recorded checkpoint was checked against the page.
      expect(seen.filter((c) => recorded.has(c.label.replace(/ \(.*$/, ''))).length).toBe(recorded.size);

      // Hovering a pool names its arena, pool, class, count and free blocks.
      const k0 = tabs[tabs.length - 1];
      await page.click(`.tabs button[data-checkpoint="${k0}"]`);
      const cell = await page.$(`#map-${k0} rect.pool[data-kind="used"], #map-${k0} rect.pool[data-kind="full"]`);
      expect(cell).not.toBeNull();
      await cell!.hover();
      const tip = await page.textContent('#tooltip');
      const cls = Number(await cell!.getAttribute('data-cls'));
      expect(tip).toMatch(new RegExp(`arena object #\\d+ at 0x[0-9a-f]+ \\(allocated\\)\\npool \\d+: (used|full)\\nclass ${cls} \\(${(cls + 1) * 16} bytes\\), count \\d+, free blocks \\d+ of \\d+`));

      // Brushing the timeline zooms it.
      const box = (await page.$('#tl-bytes .brush-overlay'))!;
      await box.scrollIntoViewIfNeeded();
      const b = (await box.boundingBox())!;
      await page.mouse.move(b.x + b.width * 0.25, b.y + 20);
      await page.mouse.down();
      await page.mouse.move(b.x + b.width * 0.5, b.y + 40, { steps: 4 });
      await page.mouse.up();
      expect(await page.textContent('#zoom-range')).toMatch(/^events [\d,]+ to [\d,]+$/);

      expect(errors).toEqual([]);
      expect(new Set(requests)).toEqual(new Set([url]));
      await page.close();
    });
  }
});
