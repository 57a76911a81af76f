/** PyMem_RawMalloc / PyMem_Malloc / PyObject_Malloc */
import type { Family } from '../../spec/families.ts';
import { Command, show } from './base.ts';
import type { World } from '../world.ts';

export class MallocCommand extends Command {
  constructor(readonly api: Family, readonly size: bigint) { super(); }

  protected async exec(w: World): Promise<void> {
    const s = await w.spec.malloc(this.api, this.size);
    const i = await w.impl.malloc(this.api, this.size);
    w.probe.observer?.onAlloc(this.api, Number(this.size), i);
    if (await w.agreeOnNull(this.toString(), s, i, this.size, this.api)) {
      w.adopt({ spec: s, impl: i, api: this.api, size: Number(this.size) }, this.toString());
    }
  }

  toString(): string { return `malloc('${this.api}', ${show(this.size)})`; }
}

/** Many mallocs of one size in a row: fills pools and arenas within a short sequence. */
export class MallocManyCommand extends Command {
  constructor(readonly api: Family, readonly size: bigint, readonly count: number) { super(); }

  protected async exec(w: World): Promise<void> {
    for (let k = 0; k < this.count; k++) {
      if (k > 0) w.probe.observer?.beginCall();
      await new MallocCommand(this.api, this.size)['exec'](w);
    }
  }

  toString(): string { return `malloc_many('${this.api}', ${show(this.size)}, ${this.count})`; }
}
