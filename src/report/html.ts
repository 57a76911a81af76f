/**
 * The report page: one self-contained HTML file (inline CSS, inline SVG drawn by an
 * inline script from inline JSON; no network, no external assets). The size-class tables
 * and the text alternatives are plain HTML, readable without the script.
 */
import { readFileSync } from 'node:fs';
import { ARENA_SIZE, INDEX2SIZE, NB_SMALL_SIZE_CLASSES, NUMBLOCKS, POOL_SIZE } from '../pymalloc/constants.ts';
import type { Checkpoint, ReportData, Rule, Timeline } from './data.ts';

/** Page budget for the JSON data (bytes); pool detail is dropped beyond it. */
export const DATA_BUDGET = 1_500_000;

const asset = (name: string): string => readFileSync(new URL(name, import.meta.url), 'utf8');

export interface ReportInput {
  title: string;
  source: string;
  python: string;
  ok: boolean;
  problem?: string;
  events: number;
  timeline: Timeline;
  rules: Rule[];
  checkpoints: Checkpoint[];
}

/**
 * Assemble the data, dropping pool cells of checkpoints (marks first, evenly, then the
 * rest; the high-water and end maps last) while the JSON is over `budget` bytes.
 */
export function reportData(input: ReportInput, budget = DATA_BUDGET): ReportData {
  const data: ReportData = {
    title: input.title, source: input.source, python: input.python, generated: new Date().toISOString(),
    ok: input.ok, ...(input.problem !== undefined ? { problem: input.problem } : {}),
    events: input.events,
    classSizes: Array.from({ length: NB_SMALL_SIZE_CLASSES }, (_, c) => INDEX2SIZE(c)),
    blocksPerPool: Array.from({ length: NB_SMALL_SIZE_CLASSES }, (_, c) => NUMBLOCKS(c)),
    arenaSize: ARENA_SIZE, poolSize: POOL_SIZE,
    timeline: input.timeline, rules: input.rules, checkpoints: input.checkpoints, droppedDetail: 0,
  };
  let size = JSON.stringify(data).length;
  if (size <= budget) return data;
  const rank = (c: Checkpoint): number => (c.kind === 'end' ? 3 : c.kind === 'highwater' ? 2 : c.kind === 'phase' ? 1 : 0);
  // Marks in an interleaved order (every other one first), so what is left stays spread out.
  const order = data.checkpoints.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || (a.i % 2) - (b.i % 2) || a.i - b.i);
  for (const { c } of order) {
    if (size <= budget) break;
    const before = JSON.stringify(c.arenas).length;
    for (const a of c.arenas) a.cells = [];
    c.detail = false;
    data.droppedDetail++;
    size -= before - JSON.stringify(c.arenas).length;
  }
  return data;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (v: number): string => v.toLocaleString('en-US');
const pct = (a: number, b: number): string => (b > 0 ? `${(100 * a / b).toFixed(1)}%` : '-');

/** viridis (matplotlib), the same 9 anchors as page.js: colour-blind safe and ordered. */
const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];

/** The colour of size class c (0..31), as page.js computes it. */
export function classColour(c: number): string {
  const x = (Math.max(0, Math.min(31, c)) / 31) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return `rgb(${VIRIDIS[i].map((v, k) => Math.round(v + (VIRIDIS[i + 1][k] - v) * f)).join(',')})`;
}

function viridisCss(): string {
  return `linear-gradient(to right, ${VIRIDIS.map((c) => `rgb(${c.join(',')})`).join(', ')})`;
}

/** Text alternative of the timeline charts. */
function timelineText(d: ReportData): string {
  const t = d.timeline;
  const k = t.events.length;
  if (k === 0) return 'No samples.';
  let peakBytes = 0;
  let peakAt = 0;
  let peakBlocks = 0;
  for (let i = 0; i < k; i++) {
    let b = 0;
    for (let c = 0; c < NB_SMALL_SIZE_CLASSES; c++) b += t.blocksByClass[c][i] * d.classSizes[c];
    if (b > peakBytes) { peakBytes = b; peakAt = t.events[i]; }
    peakBlocks = Math.max(peakBlocks, t.blocks[i]);
  }
  const hw = t.highwater[k - 1];
  const hwAt = t.events[t.highwater.indexOf(hw)];
  return `Over ${n(d.events)} events (${k} samples, every ${n(t.interval)} events at the end): `
    + `arenas allocated rose to the high-water mark of ${hw} (first seen in the sample at event ${n(hwAt)}) and ended at ${t.narenas[k - 1]}; `
    + `bytes in blocks in use peaked at ${n(peakBytes)} near event ${n(peakAt)}; at most ${n(peakBlocks)} blocks were in use; `
    + `${d.rules.length} mark/phase line(s): ${d.rules.map((r) => `${r.label} at event ${n(r.events)}`).join(', ') || 'none'}.`;
}

function mapText(c: Checkpoint): string {
  const alloc = c.arenas.filter((a) => a.state === 'allocated');
  const released = c.arenas.length - alloc.length;
  const usedPools = c.table.reduce((s, r) => s + r.pools, 0);
  return `${alloc.length} arena(s) allocated, ${released} arena object(s) released, ${c.neverUsed} never used; `
    + `${usedPools} pools in use and ${c.totals.unusedPools} unused; usable_arenas (head first, with free pools): `
    + `${c.usableOrder.map((i) => `#${i} (${alloc.find((a) => a.index === i)?.nfreepools ?? '?'})`).join(' → ') || 'empty'}.`;
}

function classTable(c: Checkpoint, k: number): string {
  const cap = (r: { pools: number; cls: number }): number => r.pools * NUMBLOCKS(r.cls);
  const rows = c.table.map((r) => `<tr data-cls="${r.cls}" data-size="${r.size}" data-pools="${r.pools}" data-blocks="${r.blocks}" data-avail="${r.avail}">`
    + `<td class="sw"><span class="sw" style="background:${classColour(r.cls)}" data-cls="${r.cls}"></span></td><td>${r.cls}</td><td>${r.size}</td><td>${n(r.pools)}</td><td>${n(r.blocks)}</td><td>${n(r.avail)}</td>`
    + `<td>${n(r.blocks * r.size)}</td><td>${pct(r.blocks, cap(r))}</td></tr>`).join('\n');
  const t = c.totals;
  const tot = (label: string, v: number, key: string): string => `<tr data-key="${key}" data-value="${v}"><td>${esc(label)}</td><td>${n(v)}</td></tr>`;
  return `<div class="cols"><table class="size-classes" data-checkpoint="${k}">
<caption class="sr-only">Size classes at ${esc(c.label)}, as _debugmallocstats prints them</caption>
<thead><tr><th scope="col"><span class="sr-only">colour</span></th><th scope="col">class</th><th scope="col">size</th><th scope="col">num pools</th><th scope="col">blocks in use</th><th scope="col">avail blocks</th><th scope="col">bytes in use</th><th scope="col">utilisation</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<table class="totals" data-checkpoint="${k}"><tbody>
${tot('# arenas allocated total', t.arenasAllocatedTotal, 'arenas-allocated-total')}
${tot('# arenas reclaimed', t.arenasReclaimed, 'arenas-reclaimed')}
${tot('# arenas highwater mark', t.arenasHighwater, 'arenas-highwater')}
${tot('# arenas allocated current', t.arenasCurrent, 'arenas-current')}
${tot('# bytes in allocated blocks', t.allocatedBytes, 'allocated-bytes')}
${tot('# bytes in available blocks', t.availableBytes, 'available-bytes')}
${tot('unused pools', t.unusedPools, 'unused-pools')}
${tot('# bytes lost to pool headers', t.poolHeaderBytes, 'pool-header-bytes')}
${tot('# bytes lost to quantization', t.quantization, 'quantization')}
${tot('# bytes lost to arena alignment', t.arenaAlignment, 'arena-alignment')}
${tot('raw-fallback blocks (0 or > 512 bytes, not in the stats)', t.rawAllocatedBlocks, 'raw-blocks')}
</tbody></table></div>`;
}

/** The whole page. */
export function renderReport(d: ReportData): string {
  const json = JSON.stringify(d).replace(/</g, '\\u003c');
  const tabs = d.checkpoints.map((c, k) => `<button role="tab" data-checkpoint="${k}" data-kind="${c.kind}" aria-selected="${k === 0}" aria-controls="cp-${k}">${esc(c.kind === 'highwater' ? 'high-water' : c.kind === 'end' ? 'end' : c.label)}</button>`).join('\n');
  const panels = d.checkpoints.map((c, k) => `<section class="cp-panel" role="tabpanel" id="cp-${k}" data-checkpoint="${k}" data-kind="${c.kind}" data-label="${esc(c.label)}" data-events="${c.events}"${k === 0 ? '' : ' hidden'}>
<h3>${esc(c.label)} <span class="meta">(after ${n(c.events)} events, trace line ${n(c.line)})</span></h3>
<p id="map-text-${k}">${esc(mapText(c))}</p>
<div class="map-wrap" id="map-${k}"></div>
<p class="usable">usable_arenas order (head first): <span class="mono">${c.usableOrder.map((i) => `#${i}`).join(' → ') || '(empty)'}</span></p>
${classTable(c, k)}
</section>`).join('\n');
  const classLegend = `<span><span class="ramp" style="background:${viridisCss()}"></span> size class 0 (16 bytes) … 31 (512 bytes), viridis</span>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(d.title)}</title>
<style>${asset('./page.css')}</style>
</head><body>
<header>
<h1>${esc(d.title)}</h1>
<p class="meta">${esc(d.source)} · python ${esc(d.python)} · ${n(d.events)} events · generated ${esc(d.generated)} by objimpl's pymalloc model (CPython 3.11, x86-64)</p>
${d.ok ? '' : `<p class="problem">The replay stopped at a mismatch: ${esc(d.problem ?? '')}. The figures show the model up to it.</p>`}
${d.droppedDetail > 0 ? `<p class="meta">Pool detail was dropped from ${d.droppedDetail} checkpoint(s) to keep the page small; their counts and tables are complete.</p>` : ''}
</header>
<main>
<section id="timeline" aria-labelledby="tl-h">
<h2 id="tl-h">Timeline</h2>
<div class="legend">${classLegend}
<span><svg width="26" height="10" aria-hidden="true"><line x1="0" y1="5" x2="26" y2="5" stroke="#000" stroke-width="2"/></svg> arenas allocated (× 1 MiB, right axis)</span>
<span><svg width="26" height="10" aria-hidden="true"><line x1="0" y1="5" x2="26" y2="5" stroke="#000" stroke-width="1.5" stroke-dasharray="6 3"/></svg> arena high-water mark</span>
<span><svg width="26" height="10" aria-hidden="true"><line x1="0" y1="5" x2="26" y2="5" stroke="#444" stroke-dasharray="3 3"/></svg> # mark / # phase line</span>
</div>
<svg id="tl-bytes" role="img" aria-labelledby="tl-bytes-title tl-text"><title id="tl-bytes-title">Bytes in blocks in use by size class (stacked), with arenas allocated and their high-water mark</title></svg>
<div class="legend">
<span><svg width="26" height="10" aria-hidden="true"><line x1="0" y1="5" x2="26" y2="5" stroke="#0072B2" stroke-width="2"/></svg> blocks in use (left axis)</span>
<span><svg width="26" height="10" aria-hidden="true"><line x1="0" y1="5" x2="26" y2="5" stroke="#D55E00" stroke-width="2" stroke-dasharray="2 2"/></svg> utilisation: bytes in blocks in use / bytes of arenas held (right axis)</span>
</div>
<svg id="tl-blocks" role="img" aria-labelledby="tl-blocks-title tl-text"><title id="tl-blocks-title">Blocks in use and utilisation</title></svg>
<p class="hint">Drag across a chart to zoom into a range of events; double-click a chart or <button class="reset" id="zoom-reset">reset zoom</button> to see <span id="zoom-range">the whole trace</span>.</p>
<p id="tl-text">${esc(timelineText(d))}</p>
</section>
<section id="checkpoints" aria-labelledby="cp-h">
<h2 id="cp-h">Arena map and size classes at each checkpoint</h2>
<p class="hint">One row per arena object, one cell per pool, in address order. Cell colour: the pool's size class; its filled height: blocks in use / blocks per pool. Hover a cell for its arena, pool, class, count and free blocks. Utilisation in the table: blocks in use / blocks the class's pools hold.</p>
<div class="legend">${classLegend}
<span><span class="sw" style="background:#f0f0f0;border-color:#21908d;box-shadow:inset 0 -6px 0 #21908d"></span>used pool (filled part = fill)</span>
<span><span class="sw" style="background:#fff;border:1px dashed #666"></span>empty pool (on freepools)</span>
<span><span class="sw" style="background:#e4e4e4;border-color:#e4e4e4"></span>never carved</span>
<span><span class="sw" style="background:#555;width:6px"></span>alignment gap (63-pool arena)</span>
<span><span class="sw" style="background:repeating-linear-gradient(45deg,#f2f2f2 0 3px,#999 3px 5px)"></span>released arena object</span>
</div>
<div class="tabs" role="tablist" aria-label="checkpoints">
${tabs}
</div>
${panels}
</section>
</main>
<div id="tooltip" role="tooltip"></div>
<script type="application/json" id="report-data">${json}</script>
<script>${asset('./page.js')}</script>
</body></html>
`;
}
