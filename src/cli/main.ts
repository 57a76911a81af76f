/**
 * The `objimpl` command. Thin: parses the subcommand, calls it, turns its result into
 * an exit status. The only place that calls process.exit. `--help` and `--version` load
 * nothing but args.ts and commands.ts; each command module is imported when it runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { helpText, usageLine, wantsHelp, type CommandSpec } from './args.ts';
import { GATE_LINE, SPECS } from './commands.ts';
import { packageRoot, UsageError, type Io } from './io.ts';
import { tuneV8 } from '../jit-flags.ts';

tuneV8();

const specOf = new Map<string, CommandSpec>(SPECS.map((s) => [s.name, s]));

function topHelp(): string {
  const lines = ['usage: objimpl <command> [options]    (objimpl <command> --help: every option of a command)', ''];
  for (const s of SPECS) lines.push(`  ${usageLine(s)}`, `      ${s.summary.split('\n')[0]}`);
  lines.push(`  ${GATE_LINE}`, '      check another implementation over gate protocol v1 (docs/gate-protocol-v1.md, docs/gate.md)');
  lines.push('', '  objimpl --version     print the version', '  objimpl --help        print this help');
  lines.push('', 'Bad usage or input: one line on stderr, `objimpl <command>: <what>: <why>`, exit status 2.');
  return `${lines.join('\n')}\n`;
}

const isTTY = process.stderr.isTTY === true;
const io: Io = {
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
  progress: (t) => { if (isTTY) process.stderr.write(`\r\x1b[K${t}`); },
  stage: (t) => { process.stderr.write(isTTY ? `\r\x1b[K${t}` : `${t}\n`); },
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
    return (args) => runCommand(args, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, stderrIsTTY: isTTY });
  },
};
/** Subcommands whose stderr must stay byte-exact: no progress clearing after them. */
const rawStderr = new Set(['run']);

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    io.stderr(topHelp());
    return 2;
  }
  if (cmd === '--help' || cmd === '-h') {
    io.stdout(topHelp());
    return 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    io.stdout(`objimpl ${pkg.version}\n`);
    return 0;
  }
  const load = commands[cmd];
  if (load === undefined) {
    io.stderr(`objimpl: '${cmd}': unknown command (try objimpl --help)\n`);
    return 2;
  }
  const spec = specOf.get(cmd);
  if (spec !== undefined && wantsHelp(rest)) {
    io.stdout(helpText(spec));
    return 0;
  }
  const code = await (await load())(rest, io);
  if (isTTY && !rawStderr.has(cmd)) process.stderr.write('\r\x1b[K');
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`objimpl ${e.message.split('\n')[0]}\n`);
      process.exit(2);
    }
    process.stderr.write(`objimpl: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(70);
  },
);
