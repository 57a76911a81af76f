/**
 * `objimpl check TRACE [--json] [--max N]` (options: commands.ts): check a pytrace v1 trace against the
 * allocator API contract alone (family mixing, 16-byte alignment, overlapping live
 * blocks, use of pointers never returned or already freed), each violation with its line.
 * See src/trace/checker.ts for the rules and the documented RAW exceptions.
 *
 * Exit status: 0 no violation; 1 at least one; 2 malformed or truncated trace.
 */
import { checkTrace } from '../trace/checker.ts';
import { TraceFormatError } from '../trace/reader.ts';
import { helpText, intArg, parseArgs } from './args.ts';
import { CHECK } from './commands.ts';
import { type Io } from './io.ts';
import { ioMessage } from './replay.ts';

export async function checkCommand(args: string[], io: Io): Promise<number> {
  const p = parseArgs(CHECK, args);
  const trace = p.operands[0];
  const json = p.opts.has('--json');
  const maxOpt = p.opts.get('--max');
  const max = typeof maxOpt === 'string' ? intArg('check', '--max', maxOpt, 0) : 100;
  if (p.help) {
    io.stdout(helpText(CHECK));
    return 0;
  }
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
