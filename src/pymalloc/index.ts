/** Assembles one process's pymalloc: state, radix tree and entry points. */
import type { AddressSpace } from '../memory/address-space.ts';
import type { ArenaAllocator } from '../memory/os.ts';
import { Pymalloc } from './obmalloc.ts';
import { RadixTree } from './radix-tree.ts';
import { PymallocState, type RawApi } from './state.ts';

export function createPymalloc(space: AddressSpace, arenas: ArenaAllocator, raw: RawApi): Pymalloc {
  return new Pymalloc(new PymallocState(space, arenas, raw, new RadixTree(raw)));
}

export { Pymalloc, PymallocState, RadixTree };
export type { RawApi };
