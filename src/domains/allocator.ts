/**
 * PyMemAllocatorEx without its ctx: the four functions a domain is made of. Every
 * function returns 0 for NULL. This is the seam where debug hooks wrap an allocator.
 */
export interface Allocator {
  malloc(n: number): number;
  calloc(nelem: number, elsize: number): number;
  realloc(p: number, n: number): number;
  free(p: number): void;
}

/** PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ and their API id letters. */
export type Api = 'r' | 'm' | 'o';
export const APIS: readonly Api[] = ['r', 'm', 'o'];
export const PYMEM_DOMAIN_RAW = 0;
export const PYMEM_DOMAIN_MEM = 1;
export const PYMEM_DOMAIN_OBJ = 2;
export function domainOf(api: Api): number {
  return api === 'r' ? PYMEM_DOMAIN_RAW : api === 'm' ? PYMEM_DOMAIN_MEM : PYMEM_DOMAIN_OBJ;
}

/** Values of PYTHONMALLOC (PyMemAllocatorName, by name). */
export type AllocatorMode = 'default' | 'pymalloc' | 'malloc' | 'debug' | 'pymalloc_debug' | 'malloc_debug';
export const MODES: readonly AllocatorMode[] = ['default', 'pymalloc', 'malloc', 'debug', 'pymalloc_debug', 'malloc_debug'];
