/**
 * `objimpl record OUT[.gz] [--stats FILE] -- <python3 args>`: record a pytrace v1 trace of
 * the machine's CPython 3.11 running <python3 args>, with tools/bin/pytrace (built on
 * first use with tools/pytrace/build.sh). The program's own output passes through.
 *
 * Exit status: the traced program's exit status; 2 when the recorder cannot be built
 * (no CPython 3.11 headers or shared libpython) or the command line is wrong.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, type Io } from './io.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PYTRACE = join(REPO_ROOT, 'tools/bin/pytrace');
const BUILD = join(REPO_ROOT, 'tools/pytrace/build.sh');

/** Build tools/bin/pytrace if it is missing; returns null on success, else the reason. */
export function ensurePytrace(): string | null {
  if (existsSync(PYTRACE)) return null;
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
  const dd = args.indexOf('--');
  const own = dd < 0 ? args : args.slice(0, dd);
  const pyArgs = dd < 0 ? [] : args.slice(dd + 1);
  let out: string | undefined;
  let stats: string | undefined;
  for (let i = 0; i < own.length; i++) {
    const a = own[i];
    if (a === '--stats') {
      stats = own[++i];
      if (stats === undefined) throw new UsageError('record: --stats needs a file');
    } else if (a.startsWith('-')) throw new UsageError(`record: unknown option ${a}`);
    else if (out === undefined) out = a;
    else throw new UsageError(`record: unexpected argument '${a}' (python arguments go after --)`);
  }
  if (out === undefined || dd < 0 || pyArgs.length === 0) {
    throw new UsageError('record: usage: objimpl record OUT.trace[.gz] [--stats FILE] -- <python3 args>');
  }
  const why = ensurePytrace();
  if (why !== null) {
    io.stderr(`objimpl record: cannot build the recorder: ${why}\n`);
    return 2;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, PYTRACE_OUT: resolve(out) };
  if (stats !== undefined) env.PYTRACE_STATS = resolve(stats);
  else delete env.PYTRACE_STATS;
  return new Promise<number>((res) => {
    const child = spawn(PYTRACE, pyArgs, { env, stdio: 'inherit' });
    child.on('error', (e) => {
      io.stderr(`objimpl record: cannot run ${PYTRACE}: ${e.message}\n`);
      res(2);
    });
    child.on('exit', (code, signal) => {
      if (signal !== null) {
        const ended = signal === 'SIGABRT' || signal === 'SIGSEGV' || signal === 'SIGBUS';
        io.stderr(`objimpl record: the traced program was killed by ${signal}; ${out} ${ended ? "ends at that point ('# end ... reason=abort'), or is truncated if the recorder could not end it" : 'is truncated'}\n`);
        res(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGKILL' ? 9 : signal === 'SIGSEGV' ? 11 : signal === 'SIGABRT' ? 6 : 15));
        return;
      }
      res(code ?? 1);
    });
  });
}
