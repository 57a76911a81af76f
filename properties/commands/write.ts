/** A caller writing bytes inside a live block (never over an object header). */
import { Command } from './base.ts';
import type { World } from '../world.ts';

export class WriteCommand extends Command {
  constructor(readonly sel: number, readonly at: number, readonly bytes: Uint8Array) { super(); }

  override applicable(m: Readonly<World>): boolean {
    return m.handles.length > 0;
  }

  protected async exec(w: World): Promise<void> {
    const h = w.pick(this.sel);
    const floor = h.obj === undefined ? 0 : 24;
    if (h.size <= floor) return;
    const offset = floor + (this.at % (h.size - floor));
    const data = this.bytes.subarray(0, h.size - offset);
    await w.spec.write(h.spec, offset, data);
    await w.impl.write(h.impl, offset, data);
  }

  toString(): string { return `write(#${this.sel}, @${this.at}, ${Buffer.from(this.bytes).toString('hex')})`; }
}
