/**
 * What each subcommand accepts, for its parser and its `--help` page. Plain data: main.ts
 * answers `objimpl --help` and `objimpl <command> --help` from here without loading the
 * command itself. `gate` keeps its own page (src/cli/gate.ts, GATE_USAGE).
 */
import type { CommandSpec } from './args.ts';

const STATS_FILE = 'the PYTRACE_STATS file recorded with the trace: compare the _debugmallocstats text at every checkpoint';

export const MAIN: CommandSpec = {
  name: 'main',
  operands: '',
  summary: 'The main job (npm start): spec vs model in-process, then the gate against our model as a\n'
    + 'subprocess, plain and under debug hooks, and, where python3 is CPython 3.11, against the real\n'
    + 'interpreter; a table of properties by implementation. Exit 0 when everything holds.',
  options: [{ name: '--runs', value: 'N', help: 'fast-check runs per gate property (default 10; the in-process suite runs 2N)' }],
  minOperands: 0,
  maxOperands: 0,
};

export const VERIFY: CommandSpec = {
  name: 'verify',
  operands: '',
  summary: 'Check the optimized model (src/) against the spec (spec/) with the model-based suite, in-process.',
  options: [
    { name: '--mode', value: 'MODE', help: 'default, pymalloc or malloc (default: default and malloc)' },
    { name: '--runs', value: 'N', help: 'fast-check runs per mode (default 40)' },
    { name: '--seed', value: 'S', help: 'fast-check seed (with --path: replay one failure)' },
    { name: '--path', value: 'P', help: 'fast-check replay path, as a failure report prints it' },
    { name: '--json', help: 'print the result as JSON on standard output' },
  ],
  minOperands: 0,
  maxOperands: 0,
  notes: 'exit status: 0 every property holds; 1 a property failed (the shrunk counterexample is printed); 2 bad usage',
};

export const RUN: CommandSpec = {
  name: 'run',
  operands: 'FILE|-',
  summary: 'Run a scenario v1 file (docs/scenario-v1.md), or standard input for -, in a simulated CPython 3.11\n'
    + 'process; standard output and standard error are what the real one prints.',
  options: [],
  minOperands: 1,
  maxOperands: 1,
  notes: 'exit status: 0 ran to the end; 134 a fatal error (CPython\'s report on stderr); 2 bad usage or a\n'
    + 'malformed file (one line naming the step); 70 internal error of the model',
};

export const REPLAY: CommandSpec = {
  name: 'replay',
  operands: 'TRACE',
  summary: 'Replay a pytrace v1 trace (docs/pytrace-v1.md; .gz read as gzip) through our pymalloc and compare\n'
    + 'every MEM/OBJ result address with CPython\'s.',
  options: [
    { name: '--stats', value: 'FILE', help: STATS_FILE },
    { name: '--report', value: 'FILE.html', help: 'also write a self-contained HTML report of arenas, pools and size classes (docs/report.md)' },
    { name: '--json', help: 'print the summary (or the error) as JSON on standard output' },
  ],
  minOperands: 1,
  maxOperands: 1,
  notes: 'exit status: 0 everything matched; 1 a mismatch (line, event, expected/actual, allocator state);\n'
    + '2 bad usage, a malformed or truncated trace, a trace that cannot be replayed, a stats file that does not belong',
};

export const CHECK: CommandSpec = {
  name: 'check',
  operands: 'TRACE',
  summary: 'Check a pytrace v1 trace against the allocator API contract alone (family mixing, alignment,\n'
    + 'overlapping live blocks, pointers never returned or already freed), each violation with its line.',
  options: [
    { name: '--json', help: 'print the report (or the error) as JSON on standard output' },
    { name: '--max', value: 'N', help: 'show at most N violations (default 100; all are counted)' },
  ],
  minOperands: 1,
  maxOperands: 1,
  notes: 'exit status: 0 no violation; 1 at least one; 2 bad usage or a malformed or truncated trace',
};

export const STATS: CommandSpec = {
  name: 'stats',
  operands: '[TRACE]',
  summary: 'Print _PyObject_DebugMallocStats text (CPython 3.11 format) of a fresh pymalloc model, after\n'
    + 'replaying TRACE through it if one is given.',
  options: [
    { name: '--report', value: 'FILE.html', help: 'also write the HTML report of the same state (docs/report.md)' },
  ],
  minOperands: 0,
  maxOperands: 1,
  notes: 'exit status: 0 printed; 1 the replay did not match CPython; 2 bad usage or a malformed trace',
};

export const RECORD: CommandSpec = {
  name: 'record',
  operands: 'OUT.trace[.gz]',
  summary: 'Record a pytrace v1 trace of the machine\'s CPython 3.11 running the python3 arguments after --,\n'
    + 'with tools/bin/pytrace (built from tools/pytrace/ on first use). The program\'s output passes through.',
  options: [{ name: '--stats', value: 'FILE', help: 'also write the _debugmallocstats text at every checkpoint to FILE' }],
  minOperands: 1,
  maxOperands: 1,
  passThrough: true,
  notes: 'exit status: the traced program\'s; 2 bad usage or the recorder cannot be built\n'
    + '(it needs gcc, CPython 3.11 headers and a shared libpython)',
};

/** `gate` lives in gate.ts (its page lists the properties, which needs the runner). */
export const GATE_LINE = 'objimpl gate --impl CMD [--level contract|cpython] [--runs N] [--seed S --path P --property NAME] [--budget SECONDS] '
  + '[--timeout SECONDS] [--start-timeout SECONDS] [--max-commands N] [--keep-going] [--junit FILE|-] [--json FILE|-] [--quiet-impl]';

export const SPECS: readonly CommandSpec[] = [MAIN, VERIFY, RUN, REPLAY, CHECK, STATS, RECORD];
