/**
 * `objimpl/spec`: the reference spec, small and plain, and the `Implementation`
 * interface that every implementation offers (the spec, our model, a gate remote, or
 * yours, in-process).
 *
 * @example
 * ```ts
 * import { SpecImplementation } from 'objimpl/spec';
 * const s = new SpecImplementation();
 * const p = await s.malloc('o', 24n);   // PyObject_Malloc(24) in the abstract heap
 * ```
 *
 * @packageDocumentation
 */

/** The reference spec as an `Implementation`: the abstract heap plus the object rules. */
export { SpecImplementation } from '../../spec/index.ts';
/**
 * The `Implementation` interface (addresses as numbers, 0 for NULL; sizes as bigints),
 * its result types, and the error an implementation throws when its process aborts.
 */
export {
  ImplementationAborted, type Addr, type Feature, type Header, type Implementation, type ObjResult,
} from '../../spec/implementation.ts';
/** The three allocator families (`r` PyMem_Raw*, `m` PyMem_*, `o` PyObject_*) and the mixing rule. */
export * from '../../spec/families.ts';
/** The size formulas (_PyObject_SIZE, _PyObject_VAR_SIZE) as the spec states them. */
export * as specSizes from '../../spec/sizes.ts';
