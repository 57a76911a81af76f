/** Shared helpers for the debug-hook properties. */
import fc from 'fast-check';
import type { AllocatorMode, Api } from '../../src/domains/allocator.ts';
import { Runtime } from '../../src/domains/runtime.ts';
import { installDebugHooks } from '../../src/debug/debug-hooks.ts';
import { FatalError } from '../../src/debug/fatal.ts';

export const DEBUG_MODES: AllocatorMode[] = ['debug', 'pymalloc_debug', 'malloc_debug'];
export const arbMode = fc.constantFrom(...DEBUG_MODES);
export const arbApi = fc.constantFrom<Api>('r', 'm', 'o');
/** Sizes around the interesting edges: tiny, the 128-byte realloc save limit, 488/489, 512, big. */
export const arbSize = fc.oneof(
  fc.nat({ max: 40 }),
  fc.integer({ min: 100, max: 160 }),
  fc.integer({ min: 480, max: 530 }),
  fc.integer({ min: 531, max: 3000 }),
);
export const arbByte = fc.integer({ min: 0, max: 255 });

export function debugRuntime(mode: AllocatorMode): Runtime {
  return new Runtime({ mode, installHooks: installDebugHooks });
}

/** Run fn and return the FatalError it throws; fail if it throws nothing or something else. */
export function fatalOf(fn: () => unknown): FatalError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FatalError) return e;
    throw e;
  }
  throw new Error('expected a fatal error');
}

export function bytes(rt: Runtime, addr: number, n: number): number[] {
  return Array.from(rt.space.read(addr, n));
}

export const hex2 = (b: number): string => b.toString(16).padStart(2, '0');

/** The 16 header bytes a debug block of n bytes through `api` must have. */
export function header(n: number, api: Api): number[] {
  const size: number[] = [];
  let v = BigInt(n);
  for (let i = 0; i < 8; i++) {
    size.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return [...size, api.charCodeAt(0), 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd];
}
