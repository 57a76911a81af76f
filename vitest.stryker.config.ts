// Used only by Stryker: a fixed fast-check seed, so every mutant runs the same cases
// as the dry run (and test names never carry a seed).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['properties/**/*.test.ts'],
    exclude: ['properties/cli/**', 'properties/trace/{reader,checker,cli,record,addr-map}.test.ts', 'properties/scenario/**', 'properties/debug/**', 'properties/gate/**'],
    setupFiles: ['properties/stryker-setup.ts'],
    testTimeout: 120000,
  },
});
