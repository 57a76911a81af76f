/**
 * `objimpl/trace`: pytrace v1 traces (docs/pytrace-v1.md): read them, replay them through
 * our pymalloc against CPython's recorded addresses, and check them against the
 * allocator API contract alone. A source is a file path (`.gz` or plain, read as
 * gzip when it starts with the gzip magic), a readable stream, or the bytes.
 *
 * @example
 * ```ts
 * import { replayTrace, checkTrace } from 'objimpl/trace';
 * const r = await replayTrace('churn.trace.gz');
 * console.log(r.ok, r.resultsCompared, r.mismatch?.reason);
 * const c = await checkTrace('startup.trace.gz');
 * for (const v of c.violations) console.log(v.line, v.kind, v.message);
 * ```
 *
 * @packageDocumentation
 */

/**
 * Replay: `replayTrace(source, { stats })` resolves to a `ReplaySummary` (`ok` false at
 * the first mismatch, described by `mismatch`); it rejects with `TraceFormatError`
 * (malformed or truncated trace, with its line) or `ReplayInputError` (a trace that
 * cannot be replayed, or a stats file that does not belong to it). `readStatsFile`
 * reads the PYTRACE_STATS file for `stats`.
 */
export {
  replayTrace, readStatsFile, parseStatsFile, Replayer, runReplay, ReplayInputError,
  type ReplayOptions, type ReplaySummary, type ReplayMismatch, type MismatchKind, type StatsSection,
} from '../trace/replay.ts';
/**
 * Check: `checkTrace(source, { maxViolations })` resolves to a `CheckReport` (family
 * mixing, 16-byte alignment, overlapping live blocks, pointers never returned or
 * already freed, each `Violation` with its line); rejects with `TraceFormatError`.
 */
export { checkTrace, type CheckReport, type CheckOptions, type Violation, type ViolationKind } from '../trace/checker.ts';
/** Reading: the events of a trace one by one, the header, and the format error. */
export {
  readTrace, forEachTraceEvent, parseTrace, TraceFormatError,
  type TraceSource, type TraceEvent, type TraceHeader, type TraceEnd, type TraceReadResult, type ParsedTrace, type Domain,
} from '../trace/reader.ts';
