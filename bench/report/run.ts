/**
 * `npm run bench:report -- TRACE[:STATS] ... [--runs N]`: the cost of `--report` on
 * `objimpl replay`, side by side. For each trace, N pairs of fresh processes, the order
 * within a pair alternating, each running the replay without and with `--report`
 * (bench/report/child.ts). Prints the median CPU and wall time of each side, the ratio
 * of the medians, the page size, and the time Chromium takes to open and draw it. Ratios only: absolute times on a shared machine
 * mean little.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromiumInstalled, launchChromium } from '../../properties/report/browser.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
let runs = 5;
const traces: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else traces.push(args[i]);
}
if (traces.length === 0) traces.push(join(here, '../../fixtures/traces/churn.trace.gz:'));
const dir = mkdtempSync(join(tmpdir(), 'objimpl-bench-report-'));
const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function once(argv: string[]): { cpuMs: number; wallMs: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx/esm', join(here, 'child.ts'), ...argv], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const res = JSON.parse(line) as { code: number; cpuMs: number; wallMs: number };
  if (res.code !== 0) throw new Error(`replay exited ${res.code}: ${r.stderr}`);
  return res;
}

for (const spec of traces) {
  const [trace, stats] = spec.split(':');
  const base = [trace, ...(stats ? ['--stats', stats] : [])];
  const out = join(dir, `${basename(trace)}.html`);
  const without: Array<{ cpuMs: number; wallMs: number }> = [];
  const withR: Array<{ cpuMs: number; wallMs: number }> = [];
  for (let k = 0; k < runs; k++) {
    const pair = [() => without.push(once(base)), () => withR.push(once([...base, '--report', out]))];
    if (k % 2) pair.reverse();
    for (const f of pair) f();
    process.stderr.write(`${basename(trace)}: run ${k + 1} of ${runs}\n`);
  }
  const cw = median(without.map((r) => r.cpuMs));
  const cr = median(withR.map((r) => r.cpuMs));
  const ww = median(without.map((r) => r.wallMs));
  const wr = median(withR.map((r) => r.wallMs));
  // Opening the page: navigation start to drawn (body[data-ready-ms]), median of 3 loads.
  let openMs: number | null = null;
  if (chromiumInstalled()) {
    const b = await launchChromium();
    const times: number[] = [];
    for (let k = 0; k < 3; k++) {
      const page = await b.context.newPage();
      await page.goto(pathToFileURL(out).href);
      await page.waitForSelector('body[data-ready="1"]');
      times.push(Number(await page.getAttribute('body', 'data-ready-ms')));
      await page.close();
    }
    await b.close();
    openMs = median(times);
  }
  console.log(JSON.stringify({
    openMs,
    trace: basename(trace), runs,
    cpuMs: { without: Math.round(cw), with: Math.round(cr), ratio: Number((cr / cw).toFixed(3)) },
    wallMs: { without: Math.round(ww), with: Math.round(wr), ratio: Number((wr / ww).toFixed(3)) },
    pageBytes: statSync(out).size,
    allCpuRatios: without.map((r, i) => Number((withR[i].cpuMs / r.cpuMs).toFixed(3))),
  }));
}
rmSync(dir, { recursive: true, force: true });
