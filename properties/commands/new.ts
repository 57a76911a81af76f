/** PyObject_New (= PyObject_NEW) on a type without items. */
import type { ObjResult } from '../../spec/implementation.ts';
import { Command } from './base.ts';
import type { TypeHandle, World } from '../world.ts';

export class NewCommand extends Command {
  constructor(readonly tsel: number) { super(); }

  override applicable(m: Readonly<World>): boolean {
    return m.types.some((t) => t.itemsize === 0);
  }

  protected async exec(w: World): Promise<void> {
    const types = w.types.filter((t) => t.itemsize === 0);
    const t = types[this.tsel % types.length];
    const s = await w.spec.objectNew(t.spec);
    const i = await w.impl.objectNew(t.impl);
    w.probe.observer?.onAlloc('o', t.basicsize, i.ptr);
    await adoptObject(w, this.toString(), t, s, i, t.basicsize);
  }

  toString(): string { return `PyObject_New(type #${this.tsel})`; }
}

/** Shared by New and NewVar: same NULL-ness and exception, then header and type refcount. */
export async function adoptObject(w: World, what: string, t: TypeHandle, s: ObjResult, i: ObjResult, size: number): Promise<void> {
  w.expect((s.ptr === 0) === (i.ptr === 0), `${what}: spec gives ${w.hex(s.ptr)}, implementation gives ${w.hex(i.ptr)}`);
  if (i.ptr === 0) {
    w.expect(i.exception === s.exception, `${what}: exception ${i.exception}, expected ${s.exception}`);
    await w.compareTypeRefcnt(t, what);
    return;
  }
  const h = { spec: s.ptr, impl: i.ptr, api: 'o' as const, size, obj: t };
  w.adopt(h, what);
  await w.compareHeader(h, what);
}
