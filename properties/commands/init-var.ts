/** PyObject_InitVar on a live PyObject_Malloc'd block, or on NULL. */
import { Command, show } from './base.ts';
import { candidates } from './init.ts';
import type { World } from '../world.ts';

export class InitVarCommand extends Command {
  constructor(readonly sel: number, readonly tsel: number, readonly nitems: bigint) { super(); }

  override applicable(m: Readonly<World>): boolean {
    return m.types.some((t) => t.itemsize > 0) && (this.sel < 0 ? m.conf.cpython : candidates(m as World, 24).length > 0);
  }

  protected async exec(w: World): Promise<void> {
    const types = w.types.filter((t) => t.itemsize > 0);
    const t = types[this.tsel % types.length];
    if (this.sel < 0) {
      const s = await w.spec.objectInitVar(0, t.spec, this.nitems);
      const i = await w.impl.objectInitVar(0, t.impl, this.nitems);
      w.expect(i.ptr === 0 && i.exception === s.exception, `${this.toString()}: got ${w.hex(i.ptr)} ${i.exception}, expected NULL ${s.exception}`);
      await w.compareTypeRefcnt(t, this.toString());
      return;
    }
    const blocks = candidates(w, 24);
    const h = blocks[this.sel % blocks.length];
    const s = await w.spec.objectInitVar(h.spec, t.spec, this.nitems);
    const i = await w.impl.objectInitVar(h.impl, t.impl, this.nitems);
    w.expect(i.ptr === h.impl && s.ptr === h.spec, `${this.toString()}: returned ${w.hex(i.ptr)}, expected ${w.hex(h.impl)}`);
    h.obj = t;
    await w.compareHeader(h, this.toString());
  }

  toString(): string { return `PyObject_InitVar(${this.sel < 0 ? 'NULL' : `#${this.sel}`}, type #${this.tsel}, ${show(this.nitems)})`; }
}
