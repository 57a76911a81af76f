/**
 * The one option parser of the `objimpl` command: option specs, `--help`/`-h`, strict
 * numbers and the one error form, `objimpl <command>: <what>: <why>` (exit 2; main.ts
 * prints it). Imports nothing heavy: `objimpl --help` and `objimpl X --help` load only
 * this file and commands.ts.
 */
import { UsageError } from './io.ts';

/** One option of a command. */
export interface OptionSpec {
  /** `--runs`. */
  name: string;
  /** Metavariable when the option takes a value (`N`, `FILE`). */
  value?: string;
  help: string;
}

/** One subcommand: what its help page shows and what its parser accepts. */
export interface CommandSpec {
  name: string;
  /** Operands after the command name, as the usage line shows them (`TRACE`). */
  operands: string;
  summary: string;
  options: readonly OptionSpec[];
  /** Operand count allowed. */
  minOperands: number;
  maxOperands: number;
  /** Everything after `--` goes to `rest` untouched (record's python arguments). */
  passThrough?: boolean;
  /** Extra lines at the end of the help page (exit statuses). */
  notes?: string;
}

export interface Parsed {
  help: boolean;
  /** Last value of each option that takes one; `true` for flags. */
  opts: Map<string, string | true>;
  operands: string[];
  /** After `--`, with `passThrough`. */
  rest: string[] | undefined;
}

/** `objimpl <command>: <what>: <why>` as a UsageError (main.ts adds `objimpl `). */
export function usage(command: string, what: string, why: string): UsageError {
  return new UsageError(`${command}: ${what}: ${why}`);
}

const HELP = new Set(['--help', '-h']);

/** True when `--help` or `-h` comes before any `--`: the command must print its help. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (HELP.has(a)) return true;
  }
  return false;
}

/** Parse `args` against `spec`; throws a UsageError on anything it does not accept. */
export function parseArgs(spec: CommandSpec, args: readonly string[]): Parsed {
  const out: Parsed = { help: false, opts: new Map(), operands: [], rest: undefined };
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  let i = 0;
  let dashDash = false;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') { dashDash = true; i++; break; }
    if (HELP.has(a)) { out.help = true; continue; }
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
      const o = byName.get(name);
      if (o === undefined) throw usage(spec.name, a, `unknown option (try objimpl ${spec.name} --help)`);
      if (o.value === undefined) {
        if (name !== a) throw usage(spec.name, name, 'takes no value');
        out.opts.set(name, true);
        continue;
      }
      const v = name !== a ? a.slice(eq + 1) : args[++i];
      if (v === undefined) throw usage(spec.name, name, `needs a value (${o.value})`);
      out.opts.set(name, v);
      continue;
    }
    out.operands.push(a);
  }
  const after = args.slice(i);
  if (spec.passThrough === true) out.rest = dashDash ? after : undefined;
  else out.operands.push(...after);
  if (out.help) return out;
  if (out.operands.length > spec.maxOperands) {
    throw usage(spec.name, `'${out.operands[spec.maxOperands]}'`, spec.maxOperands === 0
      ? `takes no operand (try objimpl ${spec.name} --help)`
      : `unexpected operand: ${spec.name} takes ${spec.operands} (try objimpl ${spec.name} --help)`);
  }
  if (out.operands.length < spec.minOperands) {
    throw usage(spec.name, spec.operands.split(' ')[out.operands.length].replace(/[[\]]/g, ''), `missing (usage: ${usageLine(spec)})`);
  }
  return out;
}

/** `objimpl check TRACE [--json] [--max N]`. */
export function usageLine(spec: CommandSpec): string {
  const opts = spec.options.map((o) => `[${o.name}${o.value !== undefined ? ` ${o.value}` : ''}]`).join(' ');
  return `objimpl ${spec.name}${spec.operands !== '' ? ` ${spec.operands}` : ''}${opts !== '' ? ` ${opts}` : ''}`
    + (spec.passThrough === true ? ' -- ARGS...' : '');
}

/** The page `objimpl <command> --help` prints: usage, summary, every option. */
export function helpText(spec: CommandSpec): string {
  const w = Math.max(14, ...spec.options.map((o) => o.name.length + (o.value !== undefined ? o.value.length + 1 : 0)));
  const lines = [`usage: ${usageLine(spec)}`, '', spec.summary, '', 'options:'];
  for (const o of spec.options) lines.push(`  ${`${o.name}${o.value !== undefined ? ` ${o.value}` : ''}`.padEnd(w)}  ${o.help}`);
  lines.push(`  ${'-h, --help'.padEnd(w)}  print this help and exit`);
  if (spec.notes !== undefined) lines.push('', spec.notes);
  return `${lines.join('\n')}\n`;
}

const INTEGER = /^(0|-?[1-9][0-9]*)$/;
const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * A decimal integer written plainly: digits with an optional leading minus (not on 0), no
 * exponent, hex, blanks, sign `+` or leading zeros (`1e1`, `0x5`, `''`, ` 5` refused).
 */
export function intArg(command: string, opt: string, v: string, min = Number.MIN_SAFE_INTEGER): number {
  const n = INTEGER.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    const what = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : 'an integer';
    throw usage(command, opt, `takes ${what}, got '${v}'`);
  }
  return n;
}

/** A positive number of seconds (`2`, `0.5`), as milliseconds. */
export function secondsArg(command: string, opt: string, v: string): number {
  const n = DECIMAL.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw usage(command, opt, `takes a positive number of seconds, got '${v}'`);
  return Math.round(n * 1000);
}

/** One of a fixed set of words. */
export function choiceArg<T extends string>(command: string, opt: string, v: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(v)) return v as T;
  throw usage(command, opt, `takes one of ${choices.join(', ')}, got '${v}'`);
}
