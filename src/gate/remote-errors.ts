/**
 * How talking to a remote implementation can go wrong, and how its process ended.
 *
 * Every failure of the other side is a `GateError` naming the last request sent:
 *   start      the command could not be started
 *   crash      the process exited or was killed by a signal while a request was open
 *   hang       no answer within the timeout (the process group is then killed)
 *   malformed  a line that is not JSON, or an answer with a missing or mistyped field
 *   wrong-id   an answer whose id is not the id of the open request
 *   protocol   `protocol` other than 1 (or a bad hello)
 *   error      an `{"error": …}` answer to a request of a declared feature
 *   budget     the run's time budget ran out mid-request (not the implementation's fault)
 *   closed     the implementation was closed on purpose
 * `Exit` records how the process ended; describeExit and isAbort read it.
 */

export type GateErrorKind = 'start' | 'crash' | 'hang' | 'malformed' | 'wrong-id' | 'protocol' | 'error' | 'budget' | 'closed';

export class GateError extends Error {
  override readonly name = 'GateError';
  constructor(
    readonly kind: GateErrorKind,
    message: string,
    /** The last request sent, as a call and as its JSON line (null before any). */
    readonly lastRequest: { call: string; line: string } | null,
    private readonly tail: () => string = () => '',
  ) {
    super(message);
  }

  /** The end of what the implementation wrote to stderr (read when reported). */
  get stderrTail(): string {
    return this.tail();
  }
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(e: Exit): string {
  if (e.signal !== null) return `killed by ${e.signal}`;
  if (e.code !== null && e.code > 128 && e.code < 160) return `exit status ${e.code} (signal ${e.code - 128} as a shell reports it)`;
  return `exit status ${e.code}`;
}

/** Exit by SIGABRT, directly or as a shell reports it (134). */
export function isAbort(e: Exit | null): boolean {
  return e !== null && (e.signal === 'SIGABRT' || e.code === 134);
}
