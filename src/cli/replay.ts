/**
 * `objimpl replay TRACE [--stats FILE] [--json]`: replay a recorded pytrace v1 trace
 * through our pymalloc model and compare every MEM/OBJ result address (and, with
 * --stats, the _debugmallocstats text at every checkpoint) with CPython's.
 *
 * Exit status: 0 everything matched; 1 at the first mismatch (reported with its line,
 * the event, expected/actual and a dump of the model's allocator state); 2 when the trace
 * is malformed or truncated, cannot be replayed (not allocator=pymalloc, not pristine), or
 * the stats file does not belong to it: one line with the line number and the reason.
 */
import { TraceFormatError } from '../trace/reader.ts';
import { ReportCollector, writeReport } from '../report/index.ts';
import { type ReplayMismatch, Replayer, ReplayInputError, type ReplaySummary, readStatsFile, runReplay, type StatsSection } from '../trace/replay.ts';
import { helpText, parseArgs } from './args.ts';
import { REPLAY } from './commands.ts';
import { type Io } from './io.ts';

const n = (v: number): string => v.toLocaleString('en-US');

export async function replayCommand(args: string[], io: Io): Promise<number> {
  const p = parseArgs(REPLAY, args);
  if (p.help) {
    io.stdout(helpText(REPLAY));
    return 0;
  }
  const trace = p.operands[0];
  const statsOpt = p.opts.get('--stats');
  const statsPath = typeof statsOpt === 'string' ? statsOpt : undefined;
  const json = p.opts.has('--json');
  const reportOpt = p.opts.get('--report');
  const reportPath = typeof reportOpt === 'string' ? reportOpt : undefined;

  const fail2 = (where: string, reason: string): number => {
    if (json) io.stdout(`${JSON.stringify({ ok: false, trace, error: { where, reason } }, null, 2)}\n`);
    else io.stderr(`objimpl replay: ${where}: ${reason}\n`);
    return 2;
  };

  let stats: StatsSection[] | undefined;
  if (statsPath !== undefined) {
    try {
      stats = readStatsFile(statsPath);
    } catch (e) {
      if (e instanceof ReplayInputError) return fail2(`${statsPath}:${e.line}`, e.reason);
      return fail2(statsPath, ioMessage(e));
    }
  }

  const t0 = performance.now();
  let summary: ReplaySummary;
  const collector = reportPath !== undefined ? new ReportCollector() : undefined;
  try {
    const opts = {
      ...(stats !== undefined ? { stats } : {}),
      onProgress: (line: number) => io.progress(`replay: line ${n(line)}...`),
      progressEvery: 1 << 17,
    };
    const r = new Replayer({ ...opts, ...(collector !== undefined ? { observer: collector } : {}) });
    collector?.attach(() => r.pymallocState);
    summary = await runReplay(r, trace, opts);
  } catch (e) {
    if (e instanceof TraceFormatError) return fail2(`${trace}:${e.line}`, e.reason);
    if (e instanceof ReplayInputError) return fail2(e.line > 0 ? `${trace}:${e.line}` : trace, e.reason);
    return fail2(trace, ioMessage(e));
  }
  const seconds = (performance.now() - t0) / 1000;
  io.progress('');
  let reportBytes: number | undefined;
  if (collector !== undefined) {
    try {
      reportBytes = writeReport(reportPath!, collector, trace, summary);
    } catch (e) {
      return fail2(reportPath!, ioMessage(e));
    }
  }

  if (json) {
    const { header, ...rest } = summary;
    io.stdout(`${JSON.stringify({ trace, ...(statsPath !== undefined ? { stats: statsPath } : {}), seconds: Number(seconds.toFixed(3)), python: header?.python, ...(reportBytes !== undefined ? { report: { path: reportPath, bytes: reportBytes } } : {}), ...rest }, null, 2)}\n`);
    return summary.ok ? 0 : 1;
  }
  io.stdout(`objimpl replay: ${trace}${summary.header ? ` (python ${summary.header.python}, allocator=${summary.header.allocator})` : ''}\n`);
  const prefix = summary.ok ? '' : 'up to the mismatch: ';
  io.stdout(`  ${prefix}${n(summary.events)} events: ${n(summary.memobjCalls)} MEM/OBJ calls replayed, `
    + `${n(summary.nestedServed)} nested RAW/arena calls served and matched, ${n(summary.skipped)} top-level non-pymalloc lines skipped\n`);
  io.stdout(`  ${n(summary.resultsCompared)} pymalloc results compared, ${summary.mismatches} mismatch${summary.mismatches === 1 ? '' : 'es'}\n`);
  if (stats !== undefined) {
    io.stdout(`  statistics: ${summary.checkpoints.matched} of ${summary.checkpoints.total} checkpoints matched byte for byte\n`);
  }
  if (summary.allocatedBlocksChecked) io.stdout('  allocated blocks at after-runmain (sys.getallocatedblocks()): matched\n');
  if (summary.abort.reproduced) io.stdout(`  the process aborted at line ${summary.abort.line}; our debug hooks stopped there too\n`);
  if (reportBytes !== undefined) io.stdout(`  report: ${reportPath} (${n(reportBytes)} bytes)\n`);
  if (summary.mismatch !== undefined) io.stdout(formatMismatch(summary.mismatch));
  io.stdout(`  ${summary.ok ? 'ok' : 'MISMATCH'} (${seconds.toFixed(2)} s)\n`);
  return summary.ok ? 0 : 1;
}

const KIND = { result: 'result address', nested: 'nested call', stats: 'statistics', blocks: 'allocated blocks', 'model-error': 'model error', abort: 'abort' } as const;

export function formatMismatch(m: ReplayMismatch): string {
  const lines = [
    `  first mismatch at line ${m.line}: ${m.event}`,
    `    ${KIND[m.kind]}: ${m.reason}`,
    `    expected (CPython): ${m.expected}`,
    `    actual (model):     ${m.actual}`,
    '    model allocator state after the call:',
    ...m.dump.split('\n').map((l) => `      ${l}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function ioMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && err.code === 'ENOENT') return 'no such file';
  if (err && err.code === 'EISDIR') return 'is a directory';
  if (err && err.code === 'EACCES') return 'permission denied';
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}
