/** PyObject_Init on a live PyObject_Malloc'd block, or on NULL. */
import { Command } from './base.ts';
import type { Handle, World } from '../world.ts';

export class InitCommand extends Command {
  /** sel < 0: PyObject_Init(NULL, type), which only CPython defines (rule init-null: cpython level only). */
  constructor(readonly sel: number, readonly tsel: number) { super(); }

  override applicable(m: Readonly<World>): boolean {
    return m.types.some((t) => t.itemsize === 0) && (this.sel < 0 ? m.conf.cpython : candidates(m as World, 16).length > 0);
  }

  protected async exec(w: World): Promise<void> {
    const types = w.types.filter((t) => t.itemsize === 0);
    const t = types[this.tsel % types.length];
    if (this.sel < 0) {
      const s = await w.spec.objectInit(0, t.spec);
      const i = await w.impl.objectInit(0, t.impl);
      w.expect(i.ptr === 0 && i.exception === s.exception, `${this.toString()}: got ${w.hex(i.ptr)} ${i.exception}, expected NULL ${s.exception}`);
      await w.compareTypeRefcnt(t, this.toString());
      return;
    }
    const blocks = candidates(w, 16);
    const h = blocks[this.sel % blocks.length];
    const s = await w.spec.objectInit(h.spec, t.spec);
    const i = await w.impl.objectInit(h.impl, t.impl);
    w.expect(i.ptr === h.impl && s.ptr === h.spec, `${this.toString()}: returned ${w.hex(i.ptr)}, expected ${w.hex(h.impl)}`);
    h.obj = t;
    await w.compareHeader(h, this.toString());
  }

  toString(): string { return `PyObject_Init(${this.sel < 0 ? 'NULL' : `#${this.sel}`}, type #${this.tsel})`; }
}

/** Plain 'o' blocks big enough for a header of `min` bytes. */
export function candidates(w: World, min: number): Handle[] {
  return w.handles.filter((h) => h.obj === undefined && h.api === 'o' && h.size >= min);
}
