/** PyObject_Del (= PyObject_Free) of an object or any PyObject_Malloc'd block. */
import { Command } from './base.ts';
import type { World } from '../world.ts';

export class DelCommand extends Command {
  constructor(readonly sel: number) { super(); }

  override applicable(m: Readonly<World>): boolean {
    return m.handles.some((h) => h.api === 'o');
  }

  protected async exec(w: World): Promise<void> {
    const objs = w.handles.filter((h) => h.api === 'o');
    const h = objs[this.sel % objs.length];
    if (await w.release(h, 'o', 'free', this.toString(), () => w.impl.objectDel(h.impl))) return;
    await w.spec.objectDel(h.spec);
    w.probe.observer?.onFree(h.impl);
    w.drop(h);
    // No destructor runs: the type keeps the reference the object took.
    if (h.obj !== undefined) await w.compareTypeRefcnt(h.obj, this.toString());
  }

  toString(): string { return `PyObject_Del(#${this.sel})`; }
}
