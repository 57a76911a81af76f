/**
 * Our optimized model behind the common `Implementation` seam (spec/implementation.ts):
 * one simulated process (Runtime) plus the objimpl layer.
 */
import { ImplementationAborted, type Addr, type Feature, type Header, type Implementation, type ObjResult } from '../spec/implementation.ts';
import { installDebugHooks, noteWrite } from './debug/debug-hooks.ts';
import { FatalError } from './debug/fatal.ts';
import type { Api } from './domains/allocator.ts';
import { Runtime, type RuntimeOptions } from './domains/runtime.ts';
import { ObjImpl } from './objimpl/object.ts';
import { Py_TPFLAGS_HEAPTYPE, type TypeObject } from './objimpl/type.ts';

/** A size_t as the allocator sees it: exact below 2^53, merely "huge" above. */
export function sizeArg(n: bigint): number {
  return Number(n);
}

export class ModelImplementation implements Implementation {
  readonly name = 'objimpl-model';
  readonly features: ReadonlySet<Feature>;
  readonly rt: Runtime;
  readonly obj: ObjImpl;

  constructor(opts: RuntimeOptions = {}) {
    this.rt = new Runtime({ installHooks: installDebugHooks, ...opts });
    this.obj = new ObjImpl(this.rt);
    const debug = this.rt.mode === 'debug' || this.rt.mode === 'pymalloc_debug' || this.rt.mode === 'malloc_debug';
    this.features = new Set<Feature>(debug ? ['raw', 'mem', 'obj', 'objects', 'debug'] : ['raw', 'mem', 'obj', 'objects']);
  }

  /** A fatal error of the debug hooks ends the simulated process. */
  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof FatalError) throw new ImplementationAborted(e.stderr, 134);
      throw e;
    }
  }

  async malloc(api: Api, size: bigint): Promise<Addr> { return this.guard(() => this.rt.malloc(api, sizeArg(size))); }
  async calloc(api: Api, nelem: bigint, elsize: bigint): Promise<Addr> { return this.guard(() => this.rt.calloc(api, sizeArg(nelem), sizeArg(elsize))); }
  async realloc(api: Api, ptr: Addr, size: bigint): Promise<Addr> { return this.guard(() => this.rt.realloc(api, ptr, sizeArg(size))); }
  async free(api: Api, ptr: Addr): Promise<void> { this.guard(() => this.rt.free(api, ptr)); }
  async write(ptr: Addr, offset: number, bytes: Uint8Array): Promise<void> {
    for (let i = 0; i < bytes.length; i++) noteWrite(this.rt, ptr + offset + i);
    this.rt.space.write(ptr + offset, bytes);
  }
  async read(ptr: Addr, offset: number, length: number): Promise<Uint8Array> { return this.rt.space.read(ptr + offset, length); }

  async newType(basicsize: number, itemsize: number, heap: boolean): Promise<Addr> {
    return this.obj.newType(basicsize, itemsize, heap ? Py_TPFLAGS_HEAPTYPE : 0).address;
  }

  type(addr: Addr): TypeObject {
    const t = this.obj.types.get(addr);
    if (t === undefined) throw new Error(`no type at 0x${addr.toString(16)}`);
    return t;
  }

  async typeRefcnt(type: Addr): Promise<bigint> { return this.obj.types.refcnt(this.type(type)); }

  private result(ptr: Addr): ObjResult {
    if (ptr !== 0) return { ptr };
    const e = this.obj.err;
    this.obj.err = null;
    return { ptr, exception: e?.type ?? 'MemoryError' };
  }

  async objectNew(type: Addr): Promise<ObjResult> { return this.result(this.guard(() => this.obj._PyObject_New(this.type(type)))); }
  async objectNewVar(type: Addr, n: bigint): Promise<ObjResult> { return this.result(this.guard(() => this.obj._PyObject_NewVar(this.type(type), n))); }
  async objectInit(ptr: Addr, type: Addr): Promise<ObjResult> { return this.result(this.obj.PyObject_Init(ptr, this.type(type))); }
  async objectInitVar(ptr: Addr, type: Addr, n: bigint): Promise<ObjResult> {
    return this.result(this.obj.PyObject_InitVar(ptr, this.type(type), n));
  }

  async objectHeader(ptr: Addr): Promise<Header> {
    const h = this.obj.header(ptr);
    const t = this.obj.types.get(h.ob_type);
    return t !== undefined && t.tp_itemsize > 0 ? { refcnt: h.ob_refcnt, type: h.ob_type, size: h.ob_size } : { refcnt: h.ob_refcnt, type: h.ob_type };
  }

  async objectDel(ptr: Addr): Promise<void> { this.guard(() => this.obj.PyObject_Del(ptr)); }
}
