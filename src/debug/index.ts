/** The debug hooks (PYTHONMALLOC=*_debug): install, dump, fatal errors. See docs/debug-hooks.md. */
export { DebugAllocator, debugState, installDebugHooks, noteWrite } from './debug-hooks.ts';
export type { DebugState } from './debug-hooks.ts';
export { dumpAddress } from './dump.ts';
export { FatalError, fatalErrorText, formatPointer } from './fatal.ts';
