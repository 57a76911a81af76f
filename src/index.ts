/**
 * objimpl's public API: a runnable model of CPython 3.11's object-memory layer.
 *
 * Entry points: `objimpl` (everything below), `objimpl/spec` (the spec and the
 * `Implementation` interface), `objimpl/trace` (replay and check of pytrace v1 traces),
 * `objimpl/gate` (the gate runner, its reports, the in-process check).
 *
 * @example
 * ```ts
 * import { ModelImplementation } from 'objimpl';
 * const m = new ModelImplementation({ mode: 'default' });
 * const p = m.rt.malloc('o', 56);      // PyObject_Malloc(56): a pymalloc block
 * m.rt.free('o', p);                   // PyObject_Free
 * ```
 */

/** One simulated process: address space, OS, domains, pymalloc, public PyMem/PyObject functions. */
export { Runtime, callocOverflows, type RuntimeOptions, type HookInstaller } from './domains/runtime.ts';
/** The allocator seam (PyMemAllocatorEx), domain ids, API letters and PYTHONMALLOC modes. */
export {
  type Allocator, type Api, type AllocatorMode, APIS, MODES, PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ, domainOf,
} from './domains/allocator.ts';
/** The "malloc" allocator (_PyMem_RawMalloc & co.). */
export { MallocAllocator } from './domains/malloc.ts';
/** The simulated address space and the OS models (arena mmap, C library malloc). */
export { AddressSpace } from './memory/address-space.ts';
export { ModelArenas, ModelLibC, modelOS, type ArenaAllocator, type LibC, type OS } from './memory/os.ts';
/** pymalloc: entry points, state, radix tree, constants and the consistency check. */
export { Pymalloc, PymallocState, RadixTree, createPymalloc, type RawApi } from './pymalloc/index.ts';
export * as constants from './pymalloc/constants.ts';
export { checkConsistency } from './pymalloc/check.ts';
/** The objimpl layer and the size formulas. */
export { ObjImpl, GC_NEWVAR_BAD_CALL, type PyErr, type ObjectHeader } from './objimpl/object.ts';
export { _PyObject_SIZE, _PyObject_VAR_SIZE } from './objimpl/size.ts';
export { TypeTable, Py_TPFLAGS_HEAPTYPE, Py_TPFLAGS_HAVE_GC, Py_TPFLAGS_MANAGED_DICT, _PyType_PreHeaderSize, type TypeObject } from './objimpl/type.ts';
/** The model behind the common Implementation interface (spec/implementation.ts). */
export { ModelImplementation } from './implementation.ts';
/** The spec and the `Implementation` interface (also `objimpl/spec`). */
export * from './api/spec.ts';
/** pytrace v1: replay and check (also `objimpl/trace`). */
export * from './api/trace.ts';
/** The gate runner, its reports, and the in-process check (also `objimpl/gate`). */
export * from './api/gate.ts';
