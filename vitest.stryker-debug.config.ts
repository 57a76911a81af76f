// Used only by Stryker for the debug layer (npm run mutate:debug): fixed seed, the
// debug-hook and scenario tests, the recorded fixtures and the debug-mode model runs.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['properties/debug/**/*.test.ts', 'properties/scenario/**/*.test.ts', 'properties/model/**/*.test.ts', 'properties/domains/**/*.test.ts'],
    setupFiles: ['properties/stryker-setup.ts'],
    testTimeout: 120000,
  },
});
