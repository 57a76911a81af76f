/**
 * The three allocator families and the rule that ties a block to its family.
 *   'r' PyMem_RawMalloc / RawCalloc / RawRealloc / RawFree
 *   'm' PyMem_Malloc / Calloc / Realloc / Free
 *   'o' PyObject_Malloc / Calloc / Realloc / Free (and PyObject_Del, object creation)
 * A block may only be resized or released by the family that allocated it.
 */
export type Family = 'r' | 'm' | 'o';
export const FAMILIES: readonly Family[] = ['r', 'm', 'o'];

/** The C function names, for messages. */
export const FUNCTIONS: Record<Family, { malloc: string; calloc: string; realloc: string; free: string }> = {
  r: { malloc: 'PyMem_RawMalloc', calloc: 'PyMem_RawCalloc', realloc: 'PyMem_RawRealloc', free: 'PyMem_RawFree' },
  m: { malloc: 'PyMem_Malloc', calloc: 'PyMem_Calloc', realloc: 'PyMem_Realloc', free: 'PyMem_Free' },
  o: { malloc: 'PyObject_Malloc', calloc: 'PyObject_Calloc', realloc: 'PyObject_Realloc', free: 'PyObject_Free' },
};

/** A family-mixing violation, named the way the spec reports it. */
export interface MixViolation {
  kind: 'family-mix';
  allocatedWith: Family;
  releasedWith: Family;
  operation: 'free' | 'realloc';
  message: string;
}

export function mixViolation(allocatedWith: Family, releasedWith: Family, operation: 'free' | 'realloc'): MixViolation | null {
  if (allocatedWith === releasedWith) return null;
  const verb = operation === 'free' ? 'released' : 'resized';
  return {
    kind: 'family-mix', allocatedWith, releasedWith, operation,
    message: `allocated with '${allocatedWith}', ${verb} with '${releasedWith}'`,
  };
}
