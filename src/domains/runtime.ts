/**
 * One simulated CPython 3.11 process's memory layer: the address space, the OS, the
 * three domain tables (as PyMem_SetupAllocators leaves them for a PYTHONMALLOC mode),
 * pymalloc, and the public functions PyMem_RawMalloc ... PyObject_Free, which refuse
 * sizes above PY_SSIZE_T_MAX before calling the domain.
 */
import { AddressSpace } from '../memory/address-space.ts';
import { modelOS, type OS } from '../memory/os.ts';
import { createPymalloc, type Pymalloc } from '../pymalloc/index.ts';
import * as $constants from '../pymalloc/constants.ts';
import type { Allocator, AllocatorMode, Api } from './allocator.ts';
import * as $allocator from './allocator.ts';
import { MallocAllocator } from './malloc.ts';

// Imported values as module-level constants, which V8 folds (see constants.ts).
const { PY_SSIZE_T_MAX } = $constants;
const { domainOf } = $allocator;

/** Installs debug hooks over the three domains; supplied by the debug-hooks module. */
export type HookInstaller = (rt: Runtime) => void;

export interface RuntimeOptions {
  mode?: AllocatorMode;
  /** Build the OS from the address space (default: the deterministic model). */
  os?: (space: AddressSpace) => OS;
  /** The address space to use (default: a new one); see AddressSpace.reset. */
  space?: AddressSpace;
  /** Installs the debug hooks for the *_debug modes; without it those modes are refused. */
  installHooks?: HookInstaller;
}

export class Runtime {
  readonly space: AddressSpace;
  readonly os: OS;
  readonly mallocAllocator: MallocAllocator;
  readonly pymalloc: Pymalloc;
  readonly mode: AllocatorMode;
  /** Current allocator of each domain, indexed by PYMEM_DOMAIN_*. */
  readonly domains: Allocator[];

  constructor(opts: RuntimeOptions = {}) {
    this.mode = opts.mode ?? 'default';
    this.space = opts.space ?? new AddressSpace();
    this.os = (opts.os ?? modelOS)(this.space);
    this.mallocAllocator = new MallocAllocator(this.os.libc);
    // pymalloc calls the RAW domain through the public functions, so it sees hooks.
    this.pymalloc = createPymalloc(this.space, this.os.arenas, new PublicRaw(this));
    const usePymalloc = this.mode !== 'malloc' && this.mode !== 'malloc_debug';
    const small: Allocator = usePymalloc ? this.pymalloc : this.mallocAllocator;
    this.domains = [this.mallocAllocator, small, small];
    if (this.mode === 'debug' || this.mode === 'pymalloc_debug' || this.mode === 'malloc_debug') {
      if (!opts.installHooks) throw new Error(`PYTHONMALLOC=${this.mode} needs the debug hooks`);
      opts.installHooks(this);
    }
  }

  /** PyMem_GetAllocator / PyMem_SetAllocator */
  getAllocator(domain: number): Allocator {
    return this.domains[domain];
  }

  setAllocator(domain: number, a: Allocator): void {
    this.domains[domain] = a;
  }

  // --- public functions: one guard, then the domain ---
  PyMem_RawMalloc(n: number): number { return n > PY_SSIZE_T_MAX ? 0 : this.domains[0].malloc(n); }
  PyMem_RawCalloc(ne: number, es: number): number { return callocOverflows(ne, es) ? 0 : this.domains[0].calloc(ne, es); }
  PyMem_RawRealloc(p: number, n: number): number { return n > PY_SSIZE_T_MAX ? 0 : this.domains[0].realloc(p, n); }
  PyMem_RawFree(p: number): void { this.domains[0].free(p); }

  /** Generic form by API letter: the family functions of PyMem_Raw*, PyMem_*, PyObject_*. */
  malloc(api: Api, n: number): number {
    return n > PY_SSIZE_T_MAX ? 0 : this.domains[domainOf(api)].malloc(n);
  }

  calloc(api: Api, nelem: number, elsize: number): number {
    return callocOverflows(nelem, elsize) ? 0 : this.domains[domainOf(api)].calloc(nelem, elsize);
  }

  realloc(api: Api, p: number, n: number): number {
    return n > PY_SSIZE_T_MAX ? 0 : this.domains[domainOf(api)].realloc(p, n);
  }

  free(api: Api, p: number): void {
    this.domains[domainOf(api)].free(p);
  }
}

/**
 * pymalloc's view of the RAW domain: the public PyMem_Raw* functions of one runtime, so
 * it sees hooks. A class rather than four closures: every runtime shares the same
 * function objects, so the JIT can inline them at pymalloc's call sites.
 */
class PublicRaw implements Allocator {
  constructor(private readonly rt: Runtime) {}
  malloc(n: number): number { return this.rt.PyMem_RawMalloc(n); }
  calloc(nelem: number, elsize: number): number { return this.rt.PyMem_RawCalloc(nelem, elsize); }
  realloc(p: number, n: number): number { return this.rt.PyMem_RawRealloc(p, n); }
  free(p: number): void { this.rt.PyMem_RawFree(p); }
}

/** The public calloc guard: elsize != 0 && nelem > PY_SSIZE_T_MAX / elsize. */
export function callocOverflows(nelem: number, elsize: number): boolean {
  // Stryker disable next-line ConditionalExpression: with elsize 0 the product is 0 and the fast path below says false too (`true` is caught, but shares the mutator name)
  if (elsize === 0) return false;
  const product = nelem * elsize;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: fast path only; the exact bigint test below gives the same answer for small products
  if (product < 2 ** 53) return false;
  return BigInt(nelem) > ((1n << 63n) - 1n) / BigInt(elsize);
}
