/** What a subcommand may touch: its output streams; the entry point owns the process. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** A transient progress line: shown on a TTY, dropped when piped. */
  progress(text: string): void;
  /**
   * The start of a long stage: the live line on a TTY, else one line on stderr
   * (so a log shows where a long job is). Absent: use progress.
   */
  stage?(text: string): void;
}

/**
 * Bad command-line input: one line, exit status 2. The message is
 * `<command>: <what>: <why>` (see usage() in args.ts); main.ts prints `objimpl <message>`.
 */
export class UsageError extends Error {
  readonly code = 'E_USAGE';
}

/**
 * The package's root folder (where package.json is): the repository when run from the
 * sources, node_modules/objimpl when installed; the same from src/ and from dist/src/.
 */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    // Stryker disable next-line ConditionalExpression: defensive: this file always lies inside the package
    if (up === d) throw new Error('objimpl: package.json not found above src/cli');
    d = up;
  }
  return d;
}

/** True when this code runs compiled (dist/), false from the TypeScript sources. */
export const COMPILED = import.meta.url.endsWith('.js');
