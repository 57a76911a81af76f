/** PyMem_RawFree / PyMem_Free / PyObject_Free, on a live block or on NULL. */
import type { Family } from '../../spec/families.ts';
import { Command } from './base.ts';
import type { Handle, World } from '../world.ts';

/** Free one handle through its own family (or `via`); false when the process stopped. */
export async function freeHandle(w: World, h: Handle, what: string, via: Family = h.api): Promise<boolean> {
  const stopped = await w.release(h, via, 'free', what, () => w.impl.free(via, h.impl));
  if (stopped) return false;
  await w.spec.free(h.api, h.spec);
  w.probe.observer?.onFree(h.impl);
  w.drop(h);
  return true;
}

export class FreeCommand extends Command {
  /** sel < 0: free(NULL) through `api`. */
  constructor(readonly sel: number, readonly api: Family) { super(); }

  override applicable(m: Readonly<World>): boolean {
    return this.sel < 0 || m.handles.some((h) => h.obj === undefined);
  }

  protected async exec(w: World): Promise<void> {
    if (this.sel < 0) {
      await w.spec.free(this.api, 0);
      await w.impl.free(this.api, 0);
      return;
    }
    const plain = w.handles.filter((h) => h.obj === undefined);
    await freeHandle(w, plain[this.sel % plain.length], this.toString());
  }

  toString(): string { return this.sel < 0 ? `free('${this.api}', NULL)` : `free(#${this.sel})`; }
}

/** Frees `count` blocks spread over the live ones: empties pools and whole arenas. */
export class FreeManyCommand extends Command {
  constructor(readonly sel: number, readonly count: number, readonly stride: number) { super(); }

  override applicable(m: Readonly<World>): boolean {
    return m.handles.some((h) => h.obj === undefined);
  }

  protected async exec(w: World): Promise<void> {
    const plain = w.handles.filter((h) => h.obj === undefined);
    const chosen = new Set<number>();
    for (let k = 0; k < this.count && k < plain.length; k++) chosen.add((this.sel + k * this.stride) % plain.length);
    let first = true;
    for (const idx of chosen) {
      if (!first) w.probe.observer?.beginCall();
      first = false;
      if (!(await freeHandle(w, plain[idx], this.toString()))) return;
    }
  }

  toString(): string { return `free_many(#${this.sel}, ${this.count}, stride ${this.stride})`; }
}

/**
 * Frees every plain block within 1 MiB of a chosen one: with pymalloc that empties the
 * chosen block's arena (and maybe a neighbour), so arenas are released and kept.
 */
export class FreeNearCommand extends Command {
  constructor(readonly sel: number) { super(); }

  override applicable(m: Readonly<World>): boolean {
    return m.handles.some((h) => h.obj === undefined);
  }

  protected async exec(w: World): Promise<void> {
    const plain = w.handles.filter((h) => h.obj === undefined);
    const at = plain[this.sel % plain.length].impl;
    let first = true;
    for (const h of plain) {
      if (Math.abs(h.impl - at) >= 1048576) continue;
      if (!first) w.probe.observer?.beginCall();
      first = false;
      if (!(await freeHandle(w, h, this.toString()))) return;
    }
  }

  toString(): string { return `free_near(#${this.sel})`; }
}
