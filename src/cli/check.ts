/**
 * `objimpl check TRACE [--json] [--max N]`: check a pytrace v1 trace against the
 * allocator API contract alone (family mixing, 16-byte alignment, overlapping live
 * blocks, use of pointers never returned or already freed), each violation with its line.
 * See src/trace/checker.ts for the rules and the documented RAW exceptions.
 *
 * Exit status: 0 no violation; 1 at least one; 2 malformed or truncated trace.
 */
import { checkTrace } from '../trace/checker.ts';
import { TraceFormatError } from '../trace/reader.ts';
import { UsageError, type Io } from './io.ts';
import { ioMessage } from './replay.ts';

export async function checkCommand(args: string[], io: Io): Promise<number> {
  let trace: string | undefined;
  let json = false;
  let max = 100;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') json = true;
    else if (a === '--max') {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < 0) throw new UsageError(`check: --max takes a non-negative integer, got '${args[i]}'`);
      max = v;
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(`check: unknown option ${a}`);
    else if (trace === undefined) trace = a;
    else throw new UsageError(`check: more than one trace given ('${trace}', '${a}')`);
  }
  if (trace === undefined) throw new UsageError('check: usage: objimpl check TRACE [--json] [--max N]');
  io.progress(`check: reading ${trace}...`);
  let report;
  try {
    report = await checkTrace(trace, { maxViolations: max });
  } catch (e) {
    const where = e instanceof TraceFormatError ? `${trace}:${e.line}` : trace;
    const reason = e instanceof TraceFormatError ? e.reason : ioMessage(e);
    if (json) io.stdout(`${JSON.stringify({ ok: false, trace, error: { where, reason } }, null, 2)}\n`);
    else io.stderr(`objimpl check: ${where}: ${reason}\n`);
    return 2;
  }
  io.progress('');
  if (json) {
    io.stdout(`${JSON.stringify({ trace, ...report }, null, 2)}\n`);
    return report.ok ? 0 : 1;
  }
  for (const v of report.violations) io.stdout(`${trace}:${v.line}: ${v.kind}: ${v.message}\n`);
  if (report.violationCount > report.violations.length) {
    io.stdout(`... ${report.violationCount - report.violations.length} more violation(s) not shown (--max)\n`);
  }
  const notes: string[] = [];
  if (report.notes.rawUnknown > 0) notes.push(`${report.notes.rawUnknown} RAW free/realloc of a pointer not live (uncaptured RAW calls, allowed)`);
  if (report.notes.rawPresumedFreed > 0) notes.push(`${report.notes.rawPresumedFreed} RAW block(s) presumed freed by an uncaptured call`);
  io.stdout(`objimpl check: ${trace}: ${report.events.toLocaleString('en-US')} events, `
    + `${report.violationCount} violation${report.violationCount === 1 ? '' : 's'}`
    + `${notes.length > 0 ? `; notes: ${notes.join('; ')}` : ''}\n`);
  return report.ok ? 0 : 1;
}
