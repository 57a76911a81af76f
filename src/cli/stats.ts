/**
 * `objimpl stats [TRACE]`: print _PyObject_DebugMallocStats text (CPython 3.11 format) of
 * a fresh pymalloc model, after replaying TRACE through it if one is given.
 *
 * Exit status: 0 printed; 1 the replay hit a mismatch (reported on stderr, nothing
 * printed); 2 malformed, truncated or unreplayable trace.
 */
import { Runtime } from '../domains/runtime.ts';
import { debugMallocStats } from '../pymalloc/stats.ts';
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
  if (trace === undefined) {
    io.stdout(debugMallocStats(new Runtime({ mode: 'pymalloc' }).pymalloc.s));
    io.stderr('objimpl stats: statistics of a fresh pymalloc printed\n');
    return 0;
  }
  const r = new Replayer();
  try {
    await runReplay(r, trace);
  } catch (e) {
    const where = (e instanceof TraceFormatError || e instanceof ReplayInputError) && e.line > 0 ? `${trace}:${e.line}` : trace;
    const reason = e instanceof TraceFormatError || e instanceof ReplayInputError ? e.reason : ioMessage(e);
    io.stderr(`objimpl stats: ${where}: ${reason}\n`);
    return 2;
  }
  if (r.mismatch !== null) {
    io.stderr(`objimpl stats: ${trace}: the replay does not match CPython\n${formatMismatch(r.mismatch)}`);
    return 1;
  }
  io.stdout(debugMallocStats(r.pymallocState));
  io.stderr(`objimpl stats: ${trace}: replayed; statistics after its last event printed\n`);
  return 0;
}
