/**
 * `objimpl stats [TRACE]`: print _PyObject_DebugMallocStats text (CPython 3.11 format) of
 * a fresh pymalloc model, after replaying TRACE through it if one is given.
 *
 * Exit status: 0 printed; 1 the replay hit a mismatch (reported on stderr, nothing
 * printed); 2 malformed, truncated or unreplayable trace.
 */
import { Runtime } from '../domains/runtime.ts';
import { debugMallocStats } from '../pymalloc/stats.ts';
import { ReportCollector, writeReport } from '../report/index.ts';
import { TraceFormatError } from '../trace/reader.ts';
import { Replayer, ReplayInputError, runReplay } from '../trace/replay.ts';
import { helpText, parseArgs } from './args.ts';
import { STATS } from './commands.ts';
import { type Io } from './io.ts';
import { formatMismatch, ioMessage } from './replay.ts';

export async function statsCommand(args: string[], io: Io): Promise<number> {
  const p = parseArgs(STATS, args);
  if (p.help) {
    io.stdout(helpText(STATS));
    return 0;
  }
  const trace = p.operands[0];
  const reportOpt = p.opts.get('--report');
  const reportPath = typeof reportOpt === 'string' ? reportOpt : undefined;
  const collector = reportPath !== undefined ? new ReportCollector() : undefined;
  const report = (source: string, summary: Parameters<typeof writeReport>[3]): boolean => {
    if (collector === undefined) return true;
    try {
      writeReport(reportPath!, collector, source, summary);
      return true;
    } catch (e) {
      io.stderr(`objimpl stats: ${reportPath}: ${ioMessage(e)}\n`);
      return false;
    }
  };
  if (trace === undefined) {
    const s = new Runtime({ mode: 'pymalloc' }).pymalloc.s;
    collector?.attach(() => s);
    if (!report('a fresh model (no trace)', null)) return 2;
    io.stdout(debugMallocStats(s));
    io.stderr('objimpl stats: statistics of a fresh pymalloc printed\n');
    return 0;
  }
  const r = new Replayer(collector !== undefined ? { observer: collector } : {});
  collector?.attach(() => r.pymallocState);
  let summary;
  try {
    summary = await runReplay(r, trace);
  } catch (e) {
    const where = (e instanceof TraceFormatError || e instanceof ReplayInputError) && e.line > 0 ? `${trace}:${e.line}` : trace;
    const reason = e instanceof TraceFormatError || e instanceof ReplayInputError ? e.reason : ioMessage(e);
    io.stderr(`objimpl stats: ${where}: ${reason}\n`);
    return 2;
  }
  if (!report(trace, summary)) return 2;
  if (r.mismatch !== null) {
    io.stderr(`objimpl stats: ${trace}: the replay does not match CPython\n${formatMismatch(r.mismatch)}`);
    return 1;
  }
  io.stdout(debugMallocStats(r.pymallocState));
  io.stderr(`objimpl stats: ${trace}: replayed; statistics after its last event printed\n`);
  return 0;
}
