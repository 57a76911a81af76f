/** Shared bits for the trace tests: fixture paths, a capturing Io, tiny trace builders. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Io } from '../../src/cli/io.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(ROOT, 'fixtures/traces');
export const FIXTURE_NAMES = ['startup', 'json_roundtrip', 'churn', 'threads'] as const;

export const HEADER = '# pytrace v1 python=3.11.7 hexversion=0x030b07f0 allocator=pymalloc pre_hook_arenas=0 pre_hook_blocks=0 PYTHONMALLOC= PYTHONHASHSEED=0 aslr=on ptr_bits=64';

/** A complete trace around event lines (the `# end` count is computed). */
export function trace(lines: string[], opts: { header?: string; end?: boolean } = {}): string {
  const events = lines.filter((l) => !l.startsWith('#')).length;
  const out = [opts.header ?? HEADER, ...lines];
  if (opts.end !== false) out.push(`# end events=${events} reason=runmain exitcode=0`);
  return `${out.join('\n')}\n`;
}

export interface CapturedIo extends Io {
  out: string;
  err: string;
  progressed: string[];
}

export function captureIo(): CapturedIo {
  const io: CapturedIo = {
    out: '', err: '', progressed: [],
    stdout: (t) => { io.out += t; },
    stderr: (t) => { io.err += t; },
    progress: (t) => { io.progressed.push(t); },
  };
  return io;
}
