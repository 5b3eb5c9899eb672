import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'suites/**/*.test.ts'],
    // Bridge tests start a Python worker that imports torch (a few seconds on a cold machine).
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    setupFiles: ['./vitest.setup.ts'],
    reporters: ['default', './vitest.summary-reporter.ts'],
  },
});
