/** spec/ vs src/, command by command, in the non-debug PYTHONMALLOC modes. */
import { test } from 'vitest';

/** The mutation profile mutates src/ minus src/debug: the debug-mode runs add time, not kills. */
const mutationProfile = process.env.OBJIMPL_MUTATION === '1';
const debugTest = test.skipIf(mutationProfile);
const why = mutationProfile ? ' (skipped in the mutation profile: src/debug is not mutated there)' : '';
import { runSuite } from '../suite.ts';

test('default mode: src matches the spec and the pymalloc placement rules', async () => {
  await runSuite({ mode: 'default', numRuns: 40, maxCommands: 60 });
});

test('pymalloc mode with failing arena allocations: RAW fallback', async () => {
  await runSuite({ mode: 'pymalloc', numRuns: 15, maxCommands: 40, arenaFailRate: 0.2 });
});

test('malloc mode: every family on the C library', async () => {
  await runSuite({ mode: 'malloc', numRuns: 15, maxCommands: 40 });
});

debugTest(`debug mode: misuse stops the process with exactly the predicted fatal error, never before${why}`, async () => {
  await runSuite({ mode: 'debug', numRuns: 30, maxCommands: 80 });
});

debugTest(`pymalloc_debug mode: misuse and ordinary use${why}`, async () => {
  await runSuite({ mode: 'pymalloc_debug', numRuns: 15, maxCommands: 40 });
});

debugTest(`malloc_debug mode: misuse and ordinary use${why}`, async () => {
  await runSuite({ mode: 'malloc_debug', numRuns: 15, maxCommands: 40 });
});
