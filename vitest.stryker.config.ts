// Used only by Stryker: a fixed fast-check seed, so every mutant runs the same cases
// as the dry run (and test names never carry a seed). Left out: suites of code Stryker
// does not mutate here (CLI, scenarios, debug layer, gate, the HTML report) and the
// long trace replays (debug-hook traces, the 38-arena trace), which made each pymalloc
// mutant cost seconds and the run about an hour; the fixture replays of replay.test.ts stay.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['properties/**/*.test.ts'],
    exclude: ['properties/cli/**', 'properties/trace/{reader,checker,cli,record,addr-map,debug-hooks}.test.ts', 'properties/report/**', 'properties/pymalloc/many-arenas-trace.test.ts', 'properties/scenario/**', 'properties/debug/**', 'properties/gate/**'],
    setupFiles: ['properties/stryker-setup.ts'],
    testTimeout: 120000,
  },
});
