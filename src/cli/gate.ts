/**
 * `objimpl gate --impl "<command>"`: the CI gate for other implementations of the
 * object-memory API (gate protocol v1, docs/gate.md, docs/conformance.md). Exit 0 when
 * the implementation conforms at the chosen level, 1 with the shrunk counterexample and a
 * replay command when a property FAILs, 2 for bad usage (report paths are checked before
 * anything runs), 3 when the implementation could not be checked (it did not start, gave
 * no valid hello, or declared no family).
 */
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { jsonReport, junitReport, textReport } from '../gate/report.ts';
import { PROPERTY_NAMES, runGate, type GateOptions } from '../gate/runner.ts';
import { intArg, secondsArg, usage } from './args.ts';
import { UsageError, type Io } from './io.ts';

export const GATE_USAGE = `usage: objimpl gate --impl "<command>" [options]
  --impl CMD          shell command that starts the implementation (gate protocol v1)
  --level L           contract (default): fail only on documented rules; cpython: also on
                      what CPython 3.11 does on glibc (every "differs" becomes FAIL)
  --runs N            fast-check runs per property (default 30)
  --seed S --path P   replay one failure (with --property NAME, as the report prints)
  --property NAME     run only this property (repeatable): ${PROPERTY_NAMES.join(', ')}
  --budget SECONDS    time budget for the whole gate; runs stop when it is spent
  --timeout SECONDS   per-request timeout (default 10)
  --start-timeout SECONDS   time to start and answer hello (default 20, or --timeout if longer)
  --max-commands N    commands per model-based run (default 60)
  --keep-going        run every property even after one fails
  --junit FILE|-      write a JUnit XML report (- for standard output)
  --json FILE|-       write a JSON report (- for standard output)
  --quiet-impl        do not pass the implementation's stderr through
  -h, --help          print this help and exit
exit status: 0 conforms at the level, 1 does not, 2 bad usage, 3 could not check
`;

export async function gateCommand(args: string[], io: Io): Promise<number> {
  const o: GateOptions = { command: '' };
  let junit: string | undefined;
  let json: string | undefined;
  let quiet = false;
  let impl: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw usage('gate', a, 'needs a value');
      return v;
    };
    switch (a) {
      case '--impl': impl = value(); break;
      case '--level': {
        const l = value();
        if (l !== 'contract' && l !== 'cpython') throw usage('gate', '--level', `takes contract or cpython, got '${l}'`);
        o.level = l;
        break;
      }
      case '--runs': o.runs = positive(value(), a); break;
      case '--seed': o.seed = integer(value(), a); break;
      case '--path': o.path = value(); break;
      case '--property': {
        const name = value();
        if (!PROPERTY_NAMES.includes(name)) throw usage('gate', a, `unknown property '${name}' (one of ${PROPERTY_NAMES.join(', ')})`);
        (o.only ??= []).push(name);
        break;
      }
      case '--budget': o.budgetMs = seconds(value(), a); break;
      case '--timeout': o.timeoutMs = seconds(value(), a); break;
      case '--start-timeout': o.startTimeoutMs = seconds(value(), a); break;
      case '--max-commands': o.maxCommands = positive(value(), a); break;
      case '--keep-going': o.keepGoing = true; break;
      case '--junit': junit = value(); break;
      case '--json': json = value(); break;
      case '--quiet-impl': quiet = true; break;
      case '--help': case '-h': io.stdout(GATE_USAGE); return 0;
      default: throw usage('gate', a.startsWith('-') ? a : `'${a}'`, `unknown ${a.startsWith('-') ? 'option' : 'operand'} (try objimpl gate --help)`);
    }
  }
  if (impl === undefined || impl.trim() === '') throw usage('gate', '--impl', 'required: the shell command that starts the implementation (try objimpl gate --help)');
  if (o.path !== undefined && (o.seed === undefined || o.only?.length !== 1)) {
    throw usage('gate', '--path', 'replays one failure: it needs --seed and exactly one --property');
  }
  if (junit === '-' && json === '-') throw usage('gate', '--junit - --json -', 'the two reports cannot both be standard output');
  for (const [opt, file] of [['--junit', junit], ['--json', json]] as const) if (file !== undefined && file !== '-') checkWritable(opt, file);
  o.command = impl;
  o.progress = (t) => io.progress(t);
  if (!quiet) o.onStderr = (t) => { if (t !== '') io.stderr(t); };
  const result = await runGate(o);
  io.progress('');
  // With a report on standard output, the text report goes to standard error.
  (junit === '-' || json === '-' ? io.stderr : io.stdout)(textReport(result));
  for (const [file, text] of [[junit, junitReport], [json, jsonReport]] as const) {
    if (file === '-') io.stdout(text(result));
    else if (file !== undefined) writeFileSync(file, text(result));
  }
  return EXIT[result.outcome];
}

const EXIT = { 'conforms': 0, 'does-not-conform': 1, 'could-not-check': 3 } as const;

/** A report path must be writable before the gate spends minutes on the implementation. */
function checkWritable(opt: string, file: string): void {
  const dir = dirname(resolve(file));
  let why: string | null = null;
  try {
    if (!statSync(dir).isDirectory()) why = `${dir} is not a directory`;
    else accessSync(dir, constants.W_OK);
    try {
      if (statSync(file).isDirectory()) why = 'it is a directory';
      else accessSync(file, constants.W_OK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') why = 'it is not writable';
    }
  } catch (e) {
    why ??= (e as NodeJS.ErrnoException).code === 'ENOENT' ? `no directory ${dir}` : `${dir} is not writable`;
  }
  if (why !== null) throw new UsageError(`gate: ${opt} ${file}: cannot write the report: ${why}`);
}

const positive = (v: string, opt: string): number => intArg('gate', opt, v, 1);
const integer = (v: string, opt: string): number => intArg('gate', opt, v);
const seconds = (v: string, opt: string): number => secondsArg('gate', opt, v);
