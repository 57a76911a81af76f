/**
 * The model-based suite against an in-process `Implementation`: the gate's `model`
 * property without a subprocess. Random call sequences (malloc, calloc, realloc, free
 * in each declared family, write, read, and, with `objects`, the object calls) run on
 * the spec and on the implementation side by side; every observable result must agree
 * with the spec (NULL-ness, alignment, no overlap, contents, headers, type refcounts;
 * under `debug`, misuse must stop it with CPython's fatal error).
 */
import fc from 'fast-check';
import { commands } from '../properties/arbitraries.ts';
import { Conformance, type Difference } from '../properties/conformance.ts';
import { World } from '../properties/world.ts';
import type { Implementation } from '../spec/implementation.ts';
import { SpecImplementation } from '../spec/index.ts';
import type { Level } from '../spec/rules.ts';
import { fitCommand } from './gate/fit.ts';

/** Options of {@link checkImplementation}. */
export interface CheckImplementationOptions {
  /** fast-check runs (default 30). */
  runs?: number;
  /** Commands per run (default 60). */
  maxCommands?: number;
  /** fast-check seed; with `path`, replays one failure. */
  seed?: number;
  /** fast-check replay path, as a failed result gives it. */
  path?: string;
  /**
   * `contract` (default, as the gate): only documented rules fail; a CPython-only fact
   * that does not hold is a difference. `cpython`: every rule fails (docs/conformance.md).
   */
  level?: Level;
}

/** What {@link checkImplementation} found. */
export interface CheckImplementationResult {
  /** Every run agreed with the spec at `level`. */
  ok: boolean;
  level: Level;
  /** At the contract level: the CPython-only rules that did not hold (not failures). */
  differences: Difference[];
  runs: number;
  seed: number;
  /** On failure: what broke (expected vs observed), first line. */
  message?: string;
  /** On failure: the shrunk command sequence, as fast-check prints it. */
  counterexample?: string;
  /** On failure: the replay path (pass it back with `seed`). */
  path?: string;
}

/**
 * Check an in-process implementation against the spec with the model-based suite.
 * `make` is called once per run and must return a fresh implementation (a new heap);
 * its `features` decide which families and calls are exercised. Never throws for a
 * property failure: the result says what failed.
 *
 * @example
 * ```ts
 * const r = await checkImplementation(() => new ModelImplementation(), { runs: 5 });
 * if (!r.ok) console.error(r.message, r.counterexample);
 * ```
 */
export async function checkImplementation(
  make: () => Implementation | Promise<Implementation>,
  opts: CheckImplementationOptions = {},
): Promise<CheckImplementationResult> {
  // One instance first, for its declared features (they choose the commands).
  const probe = await make();
  const features = probe.features;
  const debug = features.has('debug');
  await probe.close?.();
  const level: Level = opts.level ?? 'contract';
  const conf = new Conformance(level);
  const property = fc.asyncProperty(commands(opts.maxCommands ?? 60, debug), async (cmds) => {
    const impl = await make();
    const world = new World(new SpecImplementation(), impl, {}, conf);
    const fitted = { [Symbol.iterator]: function* () {
      for (const c of cmds as Iterable<fc.AsyncCommand<World, World> & { cmd?: unknown }>) if (fitCommand(c.cmd ?? c, features)) yield c;
    } };
    try {
      await fc.asyncModelRun(() => ({ model: world, real: world }), fitted);
    } finally {
      await impl.close?.();
    }
  });
  const d = await fc.check(property, {
    numRuns: opts.runs ?? 30,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.path !== undefined ? { path: opts.path } : {}),
  });
  if (!d.failed) return { ok: true, level, differences: conf.differences(), runs: d.numRuns, seed: d.seed };
  const err = d.errorInstance;
  const msg = err instanceof Error ? err.message : String(err);
  return {
    ok: false,
    level,
    differences: conf.differences(),
    runs: d.numRuns,
    seed: d.seed,
    message: msg.split('\n').find((l) => l.trim() !== '') ?? msg,
    ...(d.counterexample !== null ? { counterexample: String(d.counterexample[0]) } : {}),
    ...(d.counterexamplePath !== null ? { path: d.counterexamplePath } : {}),
  };
}
