/** PyMem_RawRealloc / PyMem_Realloc / PyObject_Realloc, on a live block or on NULL. */
import type { Family } from '../../spec/families.ts';
import { Heap } from '../../spec/heap.ts';
import { PY_SSIZE_T_MAX } from '../../spec/sizes.ts';
import { Command, show } from './base.ts';
import type { World } from '../world.ts';

export class ReallocCommand extends Command {
  /** sel < 0: realloc(NULL, size) through `api`; else the handle's own family. */
  /**
   * `near34` (when not null) replaces `size` for a live block: the request becomes
   * 3/4 of the block's size class plus near34 (-1, 0, 1), the edge of the in-place rule.
   */
  private size: bigint;

  /**
   * `fill`: first write a pattern over the whole block (both sides), so that every byte
   * realloc must keep is defined, the last one included.
   */
  constructor(
    readonly sel: number, readonly api: Family, requested: bigint, readonly near34: number | null = null,
    readonly fill = false,
  ) {
    super();
    this.size = requested;
  }

  /** The size asked for (before a near34 adjustment, which keeps it small). */
  get requested(): bigint {
    return this.size;
  }

  override applicable(m: Readonly<World>): boolean {
    return this.sel < 0 || m.handles.some((h) => h.obj === undefined);
  }

  protected async exec(w: World): Promise<void> {
    if (this.sel < 0) {
      const s = await w.spec.realloc(this.api, 0, this.size);
      const i = await w.impl.realloc(this.api, 0, this.size);
      w.probe.observer?.onAlloc(this.api, Number(this.size), i);
      if (await w.agreeOnNull(this.toString(), s, i, this.size, this.api)) {
        w.adopt({ spec: s, impl: i, api: this.api, size: Number(this.size) }, this.toString());
      }
      return;
    }
    const plain = w.handles.filter((h) => h.obj === undefined);
    const h = plain[this.sel % plain.length];
    if (this.near34 !== null) this.size = BigInt(Math.max(0, Math.floor((3 * 16 * Math.ceil(Math.max(h.size, 1) / 16)) / 4) + this.near34));
    const what = `${this.toString()} on ${w.hex(h.impl)} (${h.size} bytes, '${h.api}')`;
    if (this.fill && h.size > 0) {
      const pattern = new Uint8Array(h.size);
      for (let k = 0; k < h.size; k++) pattern[k] = (k * 37 + 11) & 255;
      await w.spec.write(h.spec, 0, pattern);
      await w.impl.write(h.impl, 0, pattern);
    }
    const must = Heap.mustFail(this.size);
    let i = 0;
    // A size above PY_SSIZE_T_MAX is refused by the public function before any check.
    const checked = this.size <= PY_SSIZE_T_MAX;
    if (await w.release(h, h.api, 'realloc', what, async () => { i = await w.impl.realloc(h.api, h.impl, this.size); }, checked)) return;
    const s = must === null ? 0 : await w.spec.realloc(h.api, h.spec, this.size);
    w.probe.observer?.onRealloc(h.api, h.impl, Number(this.size), i);
    if (must === null && i !== 0) {
      // Neither side is obliged to succeed; keep them in step by releasing the pair.
      await w.impl.free(h.api, i);
      await w.spec.free(h.api, h.spec);
      w.probe.observer?.onFree(i);
      w.drop(h);
      return;
    }
    w.expect((s === 0) === (i === 0), `${what}: spec gives ${w.hex(s)}, implementation gives ${w.hex(i)}`);
    if (i === 0) return; // failed: the old block is intact on both sides
    const keep = Math.min(h.size, Number(this.size));
    w.drop(h);
    const moved = { spec: s, impl: i, api: h.api, size: Number(this.size) };
    w.adopt(moved, what);
    await w.compareBytes(moved, 0, keep, `${what}: contents kept`);
  }

  toString(): string {
    if (this.sel < 0) return `realloc('${this.api}', NULL, ${show(this.size)})`;
    const filled = this.fill ? 'filled ' : '';
    return this.near34 === null ? `realloc(${filled}#${this.sel}, ${show(this.size)})` : `realloc(${filled}#${this.sel}, 3/4 of its class ${this.near34 >= 0 ? '+' : ''}${this.near34})`;
  }
}
