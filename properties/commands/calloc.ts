/** PyMem_RawCalloc / PyMem_Calloc / PyObject_Calloc */
import type { Family } from '../../spec/families.ts';
import { PY_SSIZE_T_MAX } from '../../spec/sizes.ts';
import { Command, show } from './base.ts';
import type { World } from '../world.ts';

export class CallocCommand extends Command {
  constructor(readonly api: Family, readonly nelem: bigint, readonly elsize: bigint) { super(); }

  protected async exec(w: World): Promise<void> {
    const s = await w.spec.calloc(this.api, this.nelem, this.elsize);
    const i = await w.impl.calloc(this.api, this.nelem, this.elsize);
    const overflow = this.elsize !== 0n && this.nelem > PY_SSIZE_T_MAX / this.elsize;
    const total = overflow ? PY_SSIZE_T_MAX + 1n : this.nelem * this.elsize;
    w.probe.observer?.onAlloc(this.api, Number(total), i);
    if (await w.agreeOnNull(this.toString(), s, i, total, this.api)) {
      const h = { spec: s, impl: i, api: this.api, size: Number(total) };
      w.adopt(h, this.toString());
      await w.compareBytes(h, 0, h.size, this.toString());
    }
  }

  toString(): string { return `calloc('${this.api}', ${show(this.nelem)}, ${show(this.elsize)})`; }
}
