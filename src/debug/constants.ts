/**
 * Constants of the debug hooks (Objects/obmalloc.c, 3.11, 64-bit, no
 * PYMEM_DEBUG_SERIALNO). Fact sheet section 4.
 */

/** PYMEM_CLEANBYTE: fresh data of a debug malloc (not calloc). */
export const CLEANBYTE = 0xcd;
/** PYMEM_DEADBYTE: a freed (or realloc-erased) debug block. */
export const DEADBYTE = 0xdd;
/** PYMEM_FORBIDDENBYTE: the pad bytes around the data. */
export const FORBIDDENBYTE = 0xfd;

/** SST = SIZEOF_SIZE_T, bytes. */
export const SST = 8;
/** PYMEM_DEBUG_EXTRA_BYTES = 3 * SST: size field, id + 7 pads, 8 trailing pads. */
export const EXTRA_BYTES = 3 * SST;
/** Bytes from the underlying block's start to the data pointer: 2 * SST. */
export const HEADER_BYTES = 2 * SST;
/** ERASED_SIZE in _PyMem_DebugRawRealloc; its save buffer holds 2 * ERASED_SIZE bytes. */
export const ERASED_SIZE = 64;

/**
 * The model's mapped address range, [USER_SPACE_LOW, USER_SPACE_HIGH): x86-64 Linux user
 * space above vm.mmap_min_addr. An access outside it is what segfaults in a real process;
 * the model reports it as a fatal error instead (docs/debug-hooks.md). Everything inside
 * it is readable (never-written memory reads as zero).
 */
export const USER_SPACE_LOW = 0x10000;
export const USER_SPACE_HIGH = 2 ** 47;

/** The C names of each family, for messages: r -> PyMem_Raw, m -> PyMem_, o -> PyObject_. */
export const FAMILY_PREFIX = { r: 'PyMem_Raw', m: 'PyMem_', o: 'PyObject_' } as const;
