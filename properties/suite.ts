/**
 * The model-based suite, spec vs our optimized implementation, as a function that both
 * `npm test` and `objimpl verify` call. A failure is thrown with fast-check's report:
 * the shrunk command list, the seed and the path; OBJIMPL_SEED and OBJIMPL_PATH replay it.
 */
import fc from 'fast-check';
import type { AllocatorMode } from '../src/domains/allocator.ts';
import { ModelImplementation } from '../src/implementation.ts';
import { checkConsistency } from '../src/pymalloc/check.ts';
import { SpecImplementation } from '../spec/index.ts';
import { commands } from './arbitraries.ts';
import { PymallocObserver } from './pymalloc-observer.ts';
import { RandomArenas, randomOS } from './test-os.ts';
import { World } from './world.ts';

export interface SuiteOptions {
  mode?: AllocatorMode;
  numRuns?: number;
  maxCommands?: number;
  /** Chance that an arena allocation fails (exercises the RAW fallback). */
  arenaFailRate?: number;
  seed?: number;
  path?: string;
  /** Build the implementation under test (default: our model on random arenas). */
  implementation?: (arenas: RandomArenas) => ModelImplementation;
}

/** The fast-check parameters, with a replay from the environment when asked. */
export function replayParams(opts: { seed?: number; path?: string }): { seed?: number; path?: string } {
  const seed = opts.seed ?? (process.env.OBJIMPL_SEED !== undefined ? Number(process.env.OBJIMPL_SEED) : undefined);
  const path = opts.path ?? process.env.OBJIMPL_PATH;
  return { ...(seed !== undefined ? { seed } : {}), ...(path !== undefined ? { path } : {}) };
}

/** What the runs did, for the summary: commands run, arenas given and taken back. */
export const suiteStats = { runs: 0, commands: 0, arenasAllocated: 0, arenasReleased: 0, arenas63: 0, arenas64: 0 };

export function modelProperty(opts: SuiteOptions = {}): fc.IAsyncProperty<[number, Iterable<fc.AsyncCommand<World, World>>]> {
  const mode = opts.mode ?? 'default';
  const pymallocOn = mode !== 'malloc' && mode !== 'malloc_debug';
  const debug = mode === 'debug' || mode === 'pymalloc_debug' || mode === 'malloc_debug';
  return fc.asyncProperty(fc.nat(), commands(opts.maxCommands ?? 60, debug), async (arenaSeed, cmds) => {
    const arenas = new RandomArenas(arenaSeed, opts.arenaFailRate ?? 0);
    const impl = opts.implementation ? opts.implementation(arenas) : new ModelImplementation({ mode, os: randomOS(arenas) });
    const s = impl.rt.pymalloc.s;
    const world = new World(new SpecImplementation(), impl, {
      // Under the hooks pymalloc sees n + 24 bytes: the placement rules are for plain modes.
      ...(debug ? {} : { observer: new PymallocObserver(arenas, pymallocOn) }),
      consistency: () => checkConsistency(s),
      ...(pymallocOn ? { allocatedBlocks: () => impl.rt.pymalloc.allocatedBlocks() } : {}),
    });
    suiteStats.runs++;
    try {
      await fc.asyncModelRun(() => ({ model: world, real: world }), cmds);
    } finally {
      suiteStats.commands += world.commandsRun;
      suiteStats.arenasAllocated += arenas.allocated;
      suiteStats.arenasReleased += arenas.released;
      suiteStats.arenas63 += arenas.misaligned;
      suiteStats.arenas64 += arenas.allocated - arenas.misaligned;
    }
  });
}

/**
 * OBJIMPL_RUNS_SCALE scales every run count (Stryker's profile uses fewer runs per
 * mutant; npm test uses the full counts).
 */
function scaled(n: number): number {
  const k = Number(process.env.OBJIMPL_RUNS_SCALE ?? '1');
  return Math.max(1, Math.round(n * (Number.isFinite(k) && k > 0 ? k : 1)));
}

export async function runSuite(opts: SuiteOptions = {}): Promise<void> {
  await fc.assert(modelProperty(opts), { numRuns: scaled(opts.numRuns ?? 40), ...replayParams(opts) });
}

/** Run without throwing: fast-check's details (failure, counterexample, seed, path). */
export async function checkSuite(opts: SuiteOptions = {}): Promise<fc.RunDetails<[number, Iterable<fc.AsyncCommand<World, World>>]>> {
  return fc.check(modelProperty(opts), { numRuns: opts.numRuns ?? 40, ...replayParams(opts) });
}
