/**
 * `objimpl run FILE|-`: run a scenario-v1 file (or standard input for `-`) in a simulated
 * CPython 3.11 process and reproduce what the real one prints.
 *
 *   exit 0    the scenario ran to the end
 *   exit 134  a fatal error (what a shell reports for SIGABRT); stderr holds CPython's
 *             text up to `Python runtime state: initialized` and the empty line after it
 *   exit 2    refused before anything ran: usage error, unreadable or malformed file
 *             (one line on stderr naming the step and the problem)
 *   exit 70   internal error of the model (a bug; message on stderr)
 *
 * `args` are the arguments after `run`. Nothing here calls process.exit.
 */
import { readFile } from 'node:fs/promises';
import { byteStringToBytes } from '../debug/fatal.ts';
import { runScenario } from '../scenario/runner.ts';
import { parseScenario, ScenarioError } from '../scenario/scenario.ts';
import { helpText, parseArgs, type Parsed } from './args.ts';
import { RUN } from './commands.ts';
import { UsageError } from './io.ts';

export interface Writable {
  write(chunk: Uint8Array | string): unknown;
}

export interface RunIO {
  stdout: Writable;
  stderr: Writable;
  /** Read only for `-`. */
  stdin: AsyncIterable<Uint8Array | string>;
  /** Standard error is a terminal: a one-line summary follows a scenario that ran to the end. */
  stderrIsTTY?: boolean;
}

export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;
export const RUN_USAGE = 'usage: objimpl run FILE|-';

const utf8 = new TextEncoder();

async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? utf8.encode(chunk) : chunk;
    parts.push(b);
    total += b.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of parts) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** One line, no control characters that could break it. */
function oneLine(s: string): string {
  // Stryker disable next-line Regex,StringLiteral: defensive: every message we write quotes user text through JSON.stringify, so none holds CR or LF today
  return s.replace(/[\r\n]+/g, ' ');
}

export async function runCommand(args: string[], io: RunIO): Promise<number> {
  let p: Parsed;
  try {
    p = parseArgs(RUN, args);
  } catch (e) {
    // Stryker disable next-line ConditionalExpression: parseArgs throws nothing but UsageError
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`objimpl ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (p.help) {
    io.stdout.write(helpText(RUN));
    return 0;
  }
  const src = p.operands[0];
  if (src === '') {
    io.stderr.write(`objimpl run: '': not a file name (${RUN_USAGE})\n`);
    return EXIT_USAGE;
  }
  const label = src === '-' ? '<stdin>' : src;
  let bytes: Uint8Array;
  try {
    bytes = src === '-' ? await readAll(io.stdin) : await readFile(src);
  } catch (e) {
    const why = e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);
    io.stderr.write(`objimpl run: ${label}: cannot read: ${oneLine(why)}\n`);
    return EXIT_USAGE;
  }

  let scenario;
  try {
    scenario = parseScenario(bytes);
  } catch (e) {
    // Stryker disable next-line ConditionalExpression: parseScenario throws nothing but ScenarioError
    if (e instanceof ScenarioError) {
      io.stderr.write(`objimpl run: ${label}: ${oneLine(e.message)}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }

  try {
    const r = runScenario(scenario);
    // Stryker disable next-line ConditionalExpression,StringLiteral: writing zero bytes is invisible
    if (r.stdout !== '') io.stdout.write(utf8.encode(r.stdout));
    // Stryker disable next-line ConditionalExpression,StringLiteral: writing zero bytes is invisible
    if (r.stderr !== '') io.stderr.write(byteStringToBytes(r.stderr));
    // Scenario v1 fixes both streams byte for byte: the summary is for a person at a terminal only.
    if (io.stderrIsTTY === true && r.exitStatus === 0) io.stderr.write(`objimpl run: ${label}: ${scenario.steps.length} steps ran to the end, exit status 0\n`);
    return r.exitStatus;
  } catch (e) {
    const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
    io.stderr.write(`objimpl run: internal error: ${msg}\n`);
    return EXIT_INTERNAL;
  }
}
