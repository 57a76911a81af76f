/**
 * `--report FILE.html` for `objimpl replay` and `objimpl stats`: attach a ReportCollector
 * to a Replayer, and after the replay write the page.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ReplaySummary } from '../trace/replay.ts';
import type { ReportCollector } from './collector.ts';
import { renderReport, reportData } from './html.ts';

export { ReportCollector } from './collector.ts';
export { renderReport, reportData } from './html.ts';
export type { ReportData } from './data.ts';

/** The page for a finished replay (or, with no summary, for a model that replayed nothing). */
export function reportHtml(c: ReportCollector, source: string, summary: ReplaySummary | null, title?: string): string {
  const events = summary?.events ?? 0;
  const { timeline, checkpoints, rules } = c.finish(events, summary?.lines ?? 0);
  const m = summary?.mismatch;
  const data = reportData({
    title: title ?? `pymalloc report: ${basename(source)}`,
    source,
    python: summary?.header?.python ?? '3.11 (model)',
    ok: summary?.ok ?? true,
    ...(m !== undefined ? { problem: `line ${m.line}: ${m.event}: ${m.reason}` } : {}),
    events,
    timeline, rules, checkpoints,
  });
  return renderReport(data);
}

/** Write the page; returns its size in bytes. */
export function writeReport(path: string, c: ReportCollector, source: string, summary: ReplaySummary | null, title?: string): number {
  const html = reportHtml(c, source, summary, title);
  writeFileSync(path, html);
  return Buffer.byteLength(html);
}
