/**
 * `objimpl record OUT[.gz] [--stats FILE] -- <python3 args>`: record a pytrace v1 trace of
 * the machine's CPython 3.11 running <python3 args>, with tools/bin/pytrace (built on
 * first use with tools/pytrace/build.sh). The program's own output passes through.
 *
 * Exit status: the traced program's exit status; 2 when the recorder cannot be built
 * (no CPython 3.11 headers or shared libpython) or the command line is wrong.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { helpText, parseArgs, usage, usageLine } from './args.ts';
import { RECORD } from './commands.ts';
import { packageRoot, type Io } from './io.ts';

export const REPO_ROOT = packageRoot();
export const PYTRACE = join(REPO_ROOT, 'tools/bin/pytrace');
const BUILD = join(REPO_ROOT, 'tools/pytrace/build.sh');

const SOURCE = join(REPO_ROOT, 'tools/pytrace/pytrace.c');

/** Build tools/bin/pytrace if it is missing or older than its source; null on success, else the reason. */
export function ensurePytrace(): string | null {
  if (existsSync(PYTRACE) && (!existsSync(SOURCE) || statSync(PYTRACE).mtimeMs >= statSync(SOURCE).mtimeMs)) return null;
  const r = spawnSync('sh', [BUILD], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return `cannot run ${BUILD}: ${r.error.message}`;
  if (r.status !== 0) return (r.stderr || r.stdout || `build.sh exited with status ${r.status}`).trim().split('\n').pop()!;
  return existsSync(PYTRACE) ? null : 'build.sh succeeded but tools/bin/pytrace is missing';
}

const defaultIo: Io = {
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
  progress: () => {},
};

export async function recordCommand(args: string[], io: Io = defaultIo): Promise<number> {
  const p = parseArgs(RECORD, args);
  if (p.help) {
    io.stdout(helpText(RECORD));
    return 0;
  }
  const out = p.operands[0];
  const statsOpt = p.opts.get('--stats');
  const stats = typeof statsOpt === 'string' ? statsOpt : undefined;
  const pyArgs = p.rest ?? [];
  if (pyArgs.length === 0) throw usage('record', 'ARGS', `missing: the python3 arguments go after -- (usage: ${usageLine(RECORD)})`);
  // The recorder would say `pytrace: cannot open …` from inside python3: ask first.
  for (const f of stats !== undefined ? [out, stats] : [out]) {
    try {
      closeSync(openSync(resolve(f), 'w'));
    } catch (e) {
      io.stderr(`objimpl record: ${f}: cannot write: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
      return 2;
    }
  }
  const why = ensurePytrace();
  if (why !== null) {
    io.stderr(`objimpl record: ${PYTRACE}: cannot build the recorder: ${why}\n`);
    return 2;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, PYTRACE_OUT: resolve(out) };
  if (stats !== undefined) env.PYTRACE_STATS = resolve(stats);
  else delete env.PYTRACE_STATS;
  return new Promise<number>((res) => {
    const child = spawn(PYTRACE, pyArgs, { env, stdio: 'inherit' });
    child.on('error', (e) => {
      io.stderr(`objimpl record: ${PYTRACE}: cannot run: ${e.message}\n`);
      res(2);
    });
    child.on('exit', (code, signal) => {
      if (signal !== null) {
        const ended = signal === 'SIGABRT' || signal === 'SIGSEGV' || signal === 'SIGBUS';
        io.stderr(`objimpl record: ${out}: ${ended ? `ends where the traced program was killed by ${signal} ('# end ... reason=abort'), or is truncated if the recorder could not end it` : `truncated: the traced program was killed by ${signal}`}\n`);
        res(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGKILL' ? 9 : signal === 'SIGSEGV' ? 11 : signal === 'SIGABRT' ? 6 : 15));
        return;
      }
      if (code === 0) {
        let size = -1;
        try { size = statSync(out).size; } catch { /* reported below */ }
        if (size < 0) {
          io.stderr(`objimpl record: ${out}: the recorder wrote no trace\n`);
          res(2);
          return;
        }
        io.stderr(`objimpl record: ${out}: ${size.toLocaleString('en-US')} bytes written; the program exited with status 0\n`);
      }
      res(code ?? 1);
    });
  });
}
