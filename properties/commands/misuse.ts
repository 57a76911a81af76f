/**
 * Misuse, sent only to implementations running under debug hooks: what buggy C
 * extensions do (real-bugs.md), and what the hooks must stop with CPython's report.
 *  - PokeCommand: store a byte just outside a block (overrun p+N..p+N+7, underrun
 *    p-8..p-1, the API id byte included); reported at the block's next release.
 *  - WrongFamilyFreeCommand / WrongFamilyReallocCommand: release through another family.
 */
import type { Family } from '../../spec/families.ts';
import { PY_SSIZE_T_MAX } from '../../spec/sizes.ts';
import { Command, show } from './base.ts';
import { freeHandle } from './free.ts';
import type { World } from '../world.ts';

export class PokeCommand extends Command {
  /** where < 0: p + where (-8..-1); where >= 0: p + N + where (0..7). */
  constructor(readonly sel: number, readonly where: number, readonly value: number) { super(); }

  override applicable(m: Readonly<World>): boolean {
    return m.debug && m.handles.length > 0;
  }

  protected async exec(w: World): Promise<void> {
    const h = w.pick(this.sel);
    const offset = this.where < 0 ? this.where : h.size + this.where;
    await w.impl.write(h.impl, offset, Uint8Array.of(this.value));
    (h.oob ??= new Map()).set(offset, this.value);
  }

  toString(): string {
    const at = this.where < 0 ? `p${this.where}` : `p+N+${this.where}`;
    return `poke(#${this.sel}, ${at}, 0x${this.value.toString(16).padStart(2, '0')})`;
  }
}

export class WrongFamilyFreeCommand extends Command {
  constructor(readonly sel: number, readonly via: Family) { super(); }

  override applicable(m: Readonly<World>): boolean {
    return m.debug && m.handles.length > 0;
  }

  protected async exec(w: World): Promise<void> {
    const h = w.pick(this.sel);
    await freeHandle(w, h, this.toString(), this.via);
  }

  toString(): string { return `free(#${this.sel}) through '${this.via}'`; }
}

export class WrongFamilyReallocCommand extends Command {
  constructor(readonly sel: number, readonly via: Family, readonly size: bigint) { super(); }

  override applicable(m: Readonly<World>): boolean {
    return m.debug && m.handles.length > 0;
  }

  protected async exec(w: World): Promise<void> {
    const h = w.pick(this.sel);
    const what = this.toString();
    let q = 0;
    const checked = this.size <= PY_SSIZE_T_MAX;
    if (await w.release(h, this.via, 'realloc', what, async () => { q = await w.impl.realloc(this.via, h.impl, this.size); }, checked)) return;
    // Same family (or refused before the check): an ordinary realloc of the pair.
    if (q === 0) return;
    const s = await w.spec.realloc(h.api, h.spec, this.size);
    w.drop(h);
    w.adopt({ spec: s, impl: q, api: h.api, size: Number(this.size) }, what);
  }

  toString(): string { return `realloc(#${this.sel}, ${show(this.size)}) through '${this.via}'`; }
}
