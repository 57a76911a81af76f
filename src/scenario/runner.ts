/**
 * Runs a validated scenario (scenario.ts) in a fresh simulated process:
 * `new Runtime({ mode, installHooks: installDebugHooks })`, one public call per step.
 *
 * Result: the `print` texts (stdout), what the process wrote to stderr (a byte string,
 * see src/debug/fatal.ts) and the exit status a shell would report: 0, or 134 after a
 * fatal error (SIGABRT). Faults CPython leaves undefined are fatal errors too
 * (docs/debug-hooks.md).
 */
import type { AllocatorMode } from '../domains/allocator.ts';
import { Runtime } from '../domains/runtime.ts';
import { installDebugHooks, noteWrite } from '../debug/debug-hooks.ts';
import { FatalError, formatPointer } from '../debug/fatal.ts';
import { add64, mapped } from '../debug/memory.ts';
import { PublicCallGuard } from './guard.ts';
import type { Scenario } from './scenario.ts';

export interface RunResult {
  /** The `print` texts, each followed by a newline. */
  stdout: string;
  /** stderr as a byte string: each char code is one byte (encode with 'latin1'). */
  stderr: string;
  exitStatus: number;
  /** The fatal error that ended the run, if any. */
  fatal?: FatalError;
}

export const EXIT_OK = 0;
export const EXIT_ABORT = 134;

export function isDebugMode(mode: AllocatorMode): boolean {
  return mode === 'debug' || mode === 'pymalloc_debug' || mode === 'malloc_debug';
}

/** A size_t argument as the model's allocator interface takes it (exact below 2^53). */
function sizeArg(n: bigint): number {
  return Number(n);
}

export function pokeFaultMessage(name: string, base: number, offset: bigint, addr: bigint): string {
  const rel = offset < 0n ? `${name}${offset}` : `${name}+${offset}`;
  return `Segmentation fault: poke at ${rel} writes to ${formatPointer(addr)}, outside mapped memory${base === 0 ? ` (${name} is NULL)` : ''}`;
}

export function runScenario(scenario: Scenario, runtime?: Runtime): RunResult {
  const rt = runtime ?? new Runtime({ mode: scenario.mode, installHooks: installDebugHooks });
  const guard = isDebugMode(scenario.mode) ? null : new PublicCallGuard(rt);
  const names = new Map<string, number>();
  let stdout = '';
  try {
    for (const st of scenario.steps) {
      switch (st.op) {
        case 'malloc': {
          const n = sizeArg(st.size);
          const q = rt.malloc(st.api, n);
          guard?.afterAlloc(st.api, 'Malloc', q, n);
          names.set(st.as, q);
          break;
        }
        case 'calloc': {
          const q = rt.calloc(st.api, sizeArg(st.nelem), sizeArg(st.elsize));
          guard?.afterAlloc(st.api, 'Calloc', q, Number(st.nelem * st.elsize));
          names.set(st.as, q);
          break;
        }
        case 'realloc': {
          const p = st.ptr === null ? 0 : names.get(st.ptr)!;
          const n = sizeArg(st.size);
          // Stryker disable next-line StringLiteral: beforeRelease treats any op but 'free' as realloc; the op is printed only in the "never returned" report, which a scenario cannot reach (every name it binds is a pointer the guard saw handed out, or NULL)
          guard?.beforeRelease(st.api, 'realloc', p);
          const q = rt.realloc(st.api, p, n);
          guard?.afterRealloc(st.api, p, n, q);
          names.set(st.as, q);
          break;
        }
        case 'free': {
          const p = st.ptr === null ? 0 : names.get(st.ptr)!;
          guard?.beforeRelease(st.api, 'free', p);
          rt.free(st.api, p);
          guard?.afterFree(st.api, p);
          break;
        }
        case 'poke': {
          const base = names.get(st.ptr)!;
          const addr = add64(base, st.offset);
          if (!mapped(addr, 1n)) throw new FatalError(null, pokeFaultMessage(st.ptr, base, st.offset, addr));
          const a = Number(addr);
          if (guard === null) noteWrite(rt, a);
          else guard.noteWrite(a);
          rt.space.store8(a, st.value);
          break;
        }
        case 'print':
          stdout += `${st.text}\n`;
          break;
      }
    }
  } catch (e) {
    if (e instanceof FatalError) return { stdout, stderr: e.stderr, exitStatus: EXIT_ABORT, fatal: e };
    throw e;
  }
  return { stdout, stderr: '', exitStatus: EXIT_OK };
}
