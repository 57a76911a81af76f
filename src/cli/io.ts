/** What a subcommand may touch: its output streams; the entry point owns the process. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** A transient progress line: shown on a TTY, dropped when piped. */
  progress(text: string): void;
}

/** Bad command-line input: a one-line message, exit status 2. */
export class UsageError extends Error {
  readonly code = 'E_USAGE';
}
