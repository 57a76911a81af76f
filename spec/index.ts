/**
 * The reference spec as an `Implementation`: the abstract heap plus the object rules.
 * Slow and plain on purpose. It imports nothing from src/.
 */
import type { Family } from './families.ts';
import { Heap } from './heap.ts';
import type { Addr, Feature, Header, Implementation, ObjResult } from './implementation.ts';
import { Objects, type SpecType } from './objects.ts';

export class SpecImplementation implements Implementation {
  readonly name = 'spec';
  readonly features: ReadonlySet<Feature> = new Set<Feature>(['raw', 'mem', 'obj', 'objects']);
  readonly heap = new Heap();
  readonly objects = new Objects(this.heap);

  async malloc(api: Family, size: bigint): Promise<Addr> { return this.heap.malloc(api, size); }
  async calloc(api: Family, nelem: bigint, elsize: bigint): Promise<Addr> { return this.heap.calloc(api, nelem, elsize); }
  async realloc(api: Family, ptr: Addr, size: bigint): Promise<Addr> { return this.heap.realloc(api, ptr, size); }
  async free(api: Family, ptr: Addr): Promise<void> { this.heap.free(api, ptr); }
  async write(ptr: Addr, offset: number, bytes: Uint8Array): Promise<void> { this.heap.write(ptr, offset, bytes); }
  async read(ptr: Addr, offset: number, length: number): Promise<Uint8Array> { return this.heap.read(ptr, offset, length).bytes; }

  async newType(basicsize: number, itemsize: number, heap: boolean): Promise<Addr> {
    return this.objects.newType(BigInt(basicsize), BigInt(itemsize), heap).addr;
  }

  type(addr: Addr): SpecType {
    const t = this.objects.types.get(addr);
    if (t === undefined) throw new Error(`no type at 0x${addr.toString(16)}`);
    return t;
  }

  async typeRefcnt(type: Addr): Promise<bigint> { return this.type(type).refcnt; }

  private result(ptr: Addr): ObjResult {
    return ptr === 0 ? { ptr, exception: 'MemoryError' } : { ptr };
  }

  async objectNew(type: Addr): Promise<ObjResult> { return this.result(this.objects.new(this.type(type))); }
  async objectNewVar(type: Addr, n: bigint): Promise<ObjResult> { return this.result(this.objects.newVar(this.type(type), n)); }
  async objectInit(ptr: Addr, type: Addr): Promise<ObjResult> { return this.result(this.objects.init(ptr, this.type(type))); }
  async objectInitVar(ptr: Addr, type: Addr, n: bigint): Promise<ObjResult> {
    return this.result(this.objects.initVar(ptr, this.type(type), n));
  }

  async objectHeader(ptr: Addr): Promise<Header> {
    const h = this.objects.headers.get(ptr);
    if (h === undefined) throw new Error(`no object at 0x${ptr.toString(16)}`);
    return h.type.itemsize > 0n ? { refcnt: h.refcnt, type: h.type.addr, size: h.size ?? 0n } : { refcnt: h.refcnt, type: h.type.addr };
  }

  async objectDel(ptr: Addr): Promise<void> { this.objects.del(ptr); }
}

export { Heap, Objects };
export * from './families.ts';
export * from './alignment.ts';
export * from './sizes.ts';
export type * from './implementation.ts';
export { ImplementationAborted } from './implementation.ts';
export { predictRelease, FORBIDDENBYTE } from './debug.ts';
