/** PyObject_NewVar (= PyObject_NEW_VAR), including huge and negative nitems. */
import { newVarLevel, newVarOutcome } from '../../spec/sizes.ts';
import { Command, show } from './base.ts';
import { adoptObject } from './new.ts';
import type { World } from '../world.ts';

export class NewVarCommand extends Command {
  constructor(readonly tsel: number, readonly nitems: bigint) { super(); }

  override applicable(m: Readonly<World>): boolean {
    const types = m.types.filter((t) => t.itemsize > 0);
    if (types.length === 0) return false;
    // An outcome only CPython's -fwrapv build defines is asked at the cpython level only.
    const t = types[this.tsel % types.length];
    return m.conf.cpython || newVarLevel(BigInt(t.basicsize), BigInt(t.itemsize), this.nitems) === 'contract';
  }

  protected async exec(w: World): Promise<void> {
    const types = w.types.filter((t) => t.itemsize > 0);
    const t = types[this.tsel % types.length];
    const outcome = newVarOutcome(BigInt(t.basicsize), BigInt(t.itemsize), this.nitems);
    // A size that wraps below the header is memory-unsafe in CPython itself; the spec
    // names it, and the command does not make it.
    if (outcome.kind === 'allocates' && (!outcome.headerFits || outcome.size > 1n << 24n)) return;
    const s = await w.spec.objectNewVar(t.spec, this.nitems);
    const i = await w.impl.objectNewVar(t.impl, this.nitems);
    const size = outcome.kind === 'allocates' ? Number(outcome.size) : Infinity;
    w.probe.observer?.onAlloc('o', size, i.ptr);
    await adoptObject(w, this.toString(), t, s, i, size);
  }

  toString(): string { return `PyObject_NewVar(type #${this.tsel}, ${show(this.nitems)})`; }
}
