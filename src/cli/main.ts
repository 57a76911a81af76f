/**
 * The `objimpl` command. Thin: parses the subcommand, calls it, turns its result into
 * an exit status. The only place that calls process.exit.
 */
import { UsageError, type Io } from './io.ts';
import { tuneV8 } from '../jit-flags.ts';

tuneV8();

const USAGE = `usage: objimpl <command> [options]
  main [--runs N]     the main job (npm start): spec vs model, then the gate against our
                      model and, where present, real CPython 3.11; a table of properties
  verify [--mode default|pymalloc|malloc] [--runs N] [--seed S --path P] [--json]
      check the optimized model against the spec (the main job)
  run FILE|-          run a debug-hook scenario (scenario-v1)
  replay TRACE [--stats FILE] [--report FILE.html] [--json]   replay a pytrace against our pymalloc
  check TRACE         check a pytrace against the spec alone
  stats [TRACE] [--report FILE.html]   print _debugmallocstats text
  record OUT -- ARGS  record a pytrace from the machine's python3
  gate --impl "<command>" [--runs N] [--seed S --path P --property NAME] [--budget SECONDS] [--junit FILE] [--json FILE]
                      check another implementation over gate protocol v1 (docs/gate.md)
`;

const isTTY = process.stderr.isTTY === true;
const io: Io = {
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
  progress: (t) => { if (isTTY) process.stderr.write(`\r\x1b[K${t}`); },
};

type Handler = (args: string[], io: Io) => Promise<number>;
const commands: Record<string, () => Promise<Handler>> = {
  main: async () => (await import('./main-job.ts')).mainJob,
  verify: async () => (await import('./verify.ts')).verifyCommand,
  replay: async () => (await import('./replay.ts')).replayCommand,
  check: async () => (await import('./check.ts')).checkCommand,
  stats: async () => (await import('./stats.ts')).statsCommand,
  record: async () => (await import('./record.ts')).recordCommand,
  gate: async () => (await import('./gate.ts')).gateCommand,
  // `run` writes raw bytes (an API id byte may be NUL or >= 0x80): it gets the streams.
  run: async () => {
    const { runCommand } = await import('./run.ts');
    return (args) => runCommand(args, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
  },
};
/** Subcommands whose stderr must stay byte-exact: no progress clearing after them. */
const rawStderr = new Set(['run']);

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h') {
    io.stdout(USAGE);
    return cmd === undefined ? 2 : 0;
  }
  const load = commands[cmd];
  if (load === undefined) throw new UsageError(`unknown command '${cmd}' (try objimpl --help)`);
  const code = await (await load())(rest, io);
  if (isTTY && !rawStderr.has(cmd)) process.stderr.write('\r\x1b[K');
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`objimpl: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`objimpl: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(70);
  },
);
