/** A caller reading a live block back (and, for objects, the header). */
import { Command } from './base.ts';
import type { World } from '../world.ts';

export class ReadCommand extends Command {
  constructor(readonly sel: number) { super(); }

  override applicable(m: Readonly<World>): boolean {
    return m.handles.length > 0;
  }

  protected async exec(w: World): Promise<void> {
    const h = w.pick(this.sel);
    await w.compareBytes(h, 0, h.size, this.toString());
    if (h.obj !== undefined) await w.compareHeader(h, this.toString());
  }

  toString(): string { return `read(#${this.sel})`; }
}
