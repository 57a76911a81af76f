/** A type object with the given tp_basicsize / tp_itemsize, heap or static. */
import { Command } from './base.ts';
import type { World } from '../world.ts';

export class NewTypeCommand extends Command {
  constructor(readonly basicsize: number, readonly itemsize: number, readonly heap: boolean) { super(); }

  protected async exec(w: World): Promise<void> {
    const s = await w.spec.newType(this.basicsize, this.itemsize, this.heap);
    const i = await w.impl.newType(this.basicsize, this.itemsize, this.heap);
    w.types.push({
      spec: s, impl: i, basicsize: this.basicsize, itemsize: this.itemsize, heap: this.heap,
      specRef0: await w.spec.typeRefcnt(s), implRef0: await w.impl.typeRefcnt(i),
    });
  }

  toString(): string { return `new_type(${this.basicsize}, ${this.itemsize}, ${this.heap ? 'heap' : 'static'})`; }
}
