/**
 * What CPython 3.11's debug hooks do when a block is released (free or realloc), as far
 * as a caller can provoke it: the three checks of _PyMem_DebugCheckAddress in their
 * order, each fatal at the first failure.
 *   1. the API id byte at p-8 must be the releasing family's letter ("bad ID");
 *   2. the 7 bytes p-7..p-1 must be FORBIDDENBYTE 0xFD ("bad leading pad byte");
 *   3. the 8 bytes p+N..p+N+7 must be 0xFD ("bad trailing pad byte").
 * Free paths report _PyMem_DebugRawFree, realloc paths _PyMem_DebugRawRealloc.
 */
import type { Family } from './families.ts';

export const FORBIDDENBYTE = 0xfd;

/** Bytes a caller stored outside a block, by offset from p (negative: before it). */
export type OutOfBounds = ReadonlyMap<number, number>;

/** The `Fatal Python error: …` line the release must end with, or null when it is fine. */
export function predictRelease(allocatedWith: Family, size: number, oob: OutOfBounds, via: Family, op: 'free' | 'realloc'): string | null {
  const func = op === 'free' ? '_PyMem_DebugRawFree' : '_PyMem_DebugRawRealloc';
  const id = oob.get(-8) ?? allocatedWith.charCodeAt(0);
  if (id !== via.charCodeAt(0)) {
    return `Fatal Python error: ${func}: bad ID: Allocated using API '${String.fromCharCode(id)}', verified using API '${via}'`;
  }
  for (let i = 7; i >= 1; i--) {
    const b = oob.get(-i);
    if (b !== undefined && b !== FORBIDDENBYTE) return `Fatal Python error: ${func}: bad leading pad byte`;
  }
  for (let i = 0; i < 8; i++) {
    const b = oob.get(size + i);
    if (b !== undefined && b !== FORBIDDENBYTE) return `Fatal Python error: ${func}: bad trailing pad byte`;
  }
  return null;
}
