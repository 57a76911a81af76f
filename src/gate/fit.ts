/**
 * Which model-suite commands the gate sends to an implementation, and in what form: only
 * the declared families and features, and under debug hooks no request the allocator
 * might grant lazily.
 */
import type fc from 'fast-check';
import type { Feature } from '../../spec/implementation.ts';
import { Heap } from '../../spec/heap.ts';
import { CallocCommand } from '../../properties/commands/calloc.ts';
import { DelCommand } from '../../properties/commands/del.ts';
import { InitVarCommand } from '../../properties/commands/init-var.ts';
import { InitCommand } from '../../properties/commands/init.ts';
import { MallocCommand } from '../../properties/commands/malloc.ts';
import { NewTypeCommand } from '../../properties/commands/new-type.ts';
import { NewVarCommand } from '../../properties/commands/new-var.ts';
import { NewCommand } from '../../properties/commands/new.ts';
import { ReallocCommand } from '../../properties/commands/realloc.ts';
import type { World } from '../../properties/world.ts';
import { familiesOf } from './plain-property.ts';

/**
 * Fit a model-suite command to the declared features: object commands need `objects`
 * and `obj` (false: left out); a family the implementation does not declare is replaced,
 * in place, by a declared one (deterministically, so replays and shrinking see the same
 * command). Commands this file does not know are kept as they are.
 */
export function fitCommand(cmd: unknown, features: ReadonlySet<Feature>): boolean {
  // Under debug hooks CPython writes every byte of a new block (CLEANBYTE) and of a freed
  // one (DEADBYTE): a request the allocator may grant lazily (1 TiB, say) would take hours.
  if (features.has('debug')) {
    const n = requestedBytes(cmd);
    if (n !== null && Heap.mustFail(n) === null) return false;
  }
  const objectCmd = cmd instanceof NewTypeCommand || cmd instanceof NewCommand || cmd instanceof NewVarCommand
    || cmd instanceof InitCommand || cmd instanceof InitVarCommand || cmd instanceof DelCommand;
  if (objectCmd) return features.has('objects') && features.has('obj');
  const fams = familiesOf(features);
  const c = cmd as { api?: unknown; via?: unknown };
  for (const key of ['api', 'via'] as const) {
    const v = c[key];
    if ((v === 'r' || v === 'm' || v === 'o') && !fams.includes(v)) {
      Object.defineProperty(c, key, { value: fams[['r', 'm', 'o'].indexOf(v) % fams.length], writable: false, enumerable: true, configurable: true });
    }
  }
  return true;
}

/** Bytes a malloc, calloc or realloc command asks for at once, or null for other commands. */
function requestedBytes(cmd: unknown): bigint | null {
  if (cmd instanceof MallocCommand) return cmd.size;
  if (cmd instanceof CallocCommand) return cmd.nelem * cmd.elsize;
  if (cmd instanceof ReallocCommand) return cmd.requested;
  return null;
}

export type Cmds = Iterable<fc.AsyncCommand<World, World>>;
export type Wrapper = fc.AsyncCommand<World, World> & { cmd?: unknown; hasRan?: boolean };

export function* within(cmds: Cmds, features: ReadonlySet<Feature>): Generator<fc.AsyncCommand<World, World>> {
  for (const c of cmds as Iterable<Wrapper>) if (fitCommand(c.cmd ?? c, features)) yield c;
}
