/**
 * The one seam: what every implementation of the object-memory API offers, whether it
 * is this spec, our optimized model (src/) or another process reached through the gate.
 * The property suite is written once against this interface.
 *
 * Addresses are numbers, 0 for NULL. Sizes are size_t and nitems Py_ssize_t, as bigints,
 * because the interesting values do not fit a double.
 */
import type { Family } from './families.ts';

export type Addr = number;
export type Feature = 'raw' | 'mem' | 'obj' | 'objects' | 'debug';

/** Result of an object-creating call: the object, or NULL with the exception named. */
export interface ObjResult {
  ptr: Addr;
  exception?: string;
}

export interface Header {
  refcnt: bigint;
  type: Addr;
  /** ob_size, only for types whose itemsize > 0. */
  size?: bigint;
}

export interface Implementation {
  readonly name: string;
  readonly features: ReadonlySet<Feature>;
  malloc(api: Family, size: bigint): Promise<Addr>;
  calloc(api: Family, nelem: bigint, elsize: bigint): Promise<Addr>;
  realloc(api: Family, ptr: Addr, size: bigint): Promise<Addr>;
  free(api: Family, ptr: Addr): Promise<void>;
  write(ptr: Addr, offset: number, bytes: Uint8Array): Promise<void>;
  read(ptr: Addr, offset: number, length: number): Promise<Uint8Array>;
  newType(basicsize: number, itemsize: number, heap: boolean): Promise<Addr>;
  typeRefcnt(type: Addr): Promise<bigint>;
  objectNew(type: Addr): Promise<ObjResult>;
  objectNewVar(type: Addr, nitems: bigint): Promise<ObjResult>;
  objectInit(ptr: Addr, type: Addr): Promise<ObjResult>;
  objectInitVar(ptr: Addr, type: Addr, nitems: bigint): Promise<ObjResult>;
  objectHeader(ptr: Addr): Promise<Header>;
  objectDel(ptr: Addr): Promise<void>;
  close?(): Promise<void>;
}

/**
 * The implementation ended the process abnormally (a fatal error: abort, exit status
 * 134). `stderr` is what it wrote; the run cannot go on.
 */
export class ImplementationAborted extends Error {
  constructor(readonly stderr: string, readonly status: number | null) {
    super(`implementation aborted (status ${status}): ${stderr.split('\n').find((l) => l.startsWith('Fatal Python error')) ?? stderr.slice(0, 200)}`);
  }
}
