/**
 * Generators for the model-based suite. Sizes are tuned so that pools fill and empty
 * and whole arenas come and go within one sequence: most requests are small (one of a
 * few sizes, so classes compete for pools), with bulk commands of up to 600 blocks.
 */
import fc from 'fast-check';
import type { Family } from '../spec/families.ts';
import { PY_SSIZE_T_MAX } from '../spec/sizes.ts';
import type { Command } from './commands/base.ts';
import { CallocCommand } from './commands/calloc.ts';
import { DelCommand } from './commands/del.ts';
import { FreeCommand, FreeManyCommand, FreeNearCommand } from './commands/free.ts';
import { InitVarCommand } from './commands/init-var.ts';
import { InitCommand } from './commands/init.ts';
import { PokeCommand, WrongFamilyFreeCommand, WrongFamilyReallocCommand } from './commands/misuse.ts';
import { MallocCommand, MallocManyCommand } from './commands/malloc.ts';
import { NewTypeCommand } from './commands/new-type.ts';
import { NewVarCommand } from './commands/new-var.ts';
import { NewCommand } from './commands/new.ts';
import { ReadCommand } from './commands/read.ts';
import { ReallocCommand } from './commands/realloc.ts';
import { WriteCommand } from './commands/write.ts';

export const family: fc.Arbitrary<Family> = fc.constantFrom<Family>('r', 'm', 'o');

/** Sizes at the edges of the size_t checks. */
export const hugeSizes = [PY_SSIZE_T_MAX, PY_SSIZE_T_MAX + 1n, (1n << 64n) - 1n, 1n << 40n, (1n << 53n) + 1n];

export const size: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 1, max: 512 }).map(BigInt) },
  { weight: 1, arbitrary: fc.constant(0n) },
  { weight: 2, arbitrary: fc.integer({ min: 513, max: 4096 }).map(BigInt) },
  { weight: 1, arbitrary: fc.constantFrom(...hugeSizes) },
);

/** Bulk sizes: a few classes, including the largest (31 blocks per pool). */
const bulkSize = fc.constantFrom(16n, 48n, 100n, 256n, 500n, 512n);

export const nitems: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 200 }).map(BigInt) },
  { weight: 1, arbitrary: fc.constantFrom(-1n, -2n, -8n, -40n, 1n << 60n, 1n << 61n, (1n << 62n) - 1n, PY_SSIZE_T_MAX, -(1n << 63n)) },
);

export const sel = fc.nat({ max: 1 << 20 });

/** Bytes a misuse stores: FORBIDDENBYTE itself (harmless) and others, never 'r'/'m'/'o'. */
const pokeValue = fc.constantFrom(0xfd, 0x00, 0x01, 0x78, 0xab, 0xcd, 0xdd);

/** Misuse commands: applicable only to implementations under debug hooks. */
export const misuse: Array<fc.Arbitrary<fc.AsyncCommand<import('./world.ts').World, import('./world.ts').World>>> = [
  fc.tuple(sel, fc.integer({ min: -8, max: 7 }), pokeValue).map(([s, where, v]) => new PokeCommand(s, where, v)),
  fc.tuple(sel, family).map(([s, f]) => new WrongFamilyFreeCommand(s, f)),
  fc.tuple(sel, family, fc.integer({ min: 0, max: 700 }).map(BigInt)).map(([s, f, n]) => new WrongFamilyReallocCommand(s, f, n)),
];

export function commands(maxCommands: number, withMisuse = false): fc.Arbitrary<Iterable<fc.AsyncCommand<import("./world.ts").World, import("./world.ts").World>>> {
  const list: Array<fc.Arbitrary<Command>> = [
    fc.tuple(family, size).map(([a, n]) => new MallocCommand(a, n)),
    fc.tuple(family, size).map(([a, n]) => new MallocCommand(a, n)),
    fc.tuple(fc.constantFrom<Family>('m', 'o'), bulkSize, fc.integer({ min: 20, max: 2000 }))
      .map(([a, n, k]) => new MallocManyCommand(a, n, k)),
    fc.tuple(fc.constantFrom<Family>('m', 'o'), bulkSize, fc.integer({ min: 500, max: 2500 }))
      .map(([a, n, k]) => new MallocManyCommand(a, n, k)),
    fc.tuple(family, fc.integer({ min: 0, max: 64 }).map(BigInt), fc.oneof(fc.integer({ min: 0, max: 64 }).map(BigInt), fc.constantFrom(...hugeSizes)))
      .map(([a, ne, es]) => new CallocCommand(a, ne, es)),
    fc.tuple(fc.integer({ min: -1, max: 1 << 20 }), family, size).map(([s, a, n]) => new ReallocCommand(s, a, n)),
    fc.tuple(sel, family, size).map(([s, a, n]) => new ReallocCommand(s, a, n)),
    fc.tuple(sel, fc.integer({ min: -1, max: 1 })).map(([s, d]) => new ReallocCommand(s, 'o', 0n, d)),
    fc.tuple(sel, size, fc.integer({ min: -1, max: 1 }), fc.boolean())
      .map(([s, n, d, edge]) => new ReallocCommand(s, 'o', n, edge ? d : null, true)),
    fc.tuple(fc.integer({ min: -1, max: 1 << 20 }), family).map(([s, a]) => new FreeCommand(s, a)),
    fc.tuple(sel, family).map(([s, a]) => new FreeCommand(s, a)),
    fc.tuple(sel, fc.integer({ min: 10, max: 2500 }), fc.constantFrom(1, 1, 1, 2, 3, 7)).map(([s, k, st]) => new FreeManyCommand(s, k, st)),
    fc.tuple(sel, sel, fc.uint8Array({ minLength: 1, maxLength: 48 })).map(([s, at, b]) => new WriteCommand(s, at, b)),
    fc.constantFrom(1, 2).map((st) => new FreeManyCommand(0, 1 << 20, st)),
    sel.map((s) => new FreeNearCommand(s)),
    sel.map((s) => new FreeNearCommand(s)),
    sel.map((s) => new ReadCommand(s)),
    fc.oneof(
      fc.tuple(fc.integer({ min: 16, max: 600 }), fc.boolean()).map(([b, h]) => new NewTypeCommand(b, 0, h)),
      fc.tuple(fc.integer({ min: 24, max: 100 }), fc.integer({ min: 1, max: 64 }), fc.boolean()).map(([b, i, h]) => new NewTypeCommand(b, i, h)),
    ),
    sel.map((t) => new NewCommand(t)),
    fc.tuple(sel, nitems).map(([t, n]) => new NewVarCommand(t, n)),
    fc.tuple(fc.integer({ min: -1, max: 1 << 20 }), sel).map(([s, t]) => new InitCommand(s, t)),
    fc.tuple(fc.integer({ min: -1, max: 1 << 20 }), sel, nitems).map(([s, t, n]) => new InitVarCommand(s, t, n)),
    sel.map((s) => new DelCommand(s)),
  ];
  return fc.commands(withMisuse ? [...list, fc.oneof(...misuse)] : list, { maxCommands, size: 'max' });
}
