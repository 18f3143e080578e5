import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores here and in CI: more workers only make the socket tests flaky.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Every line any suite logs is captured, and scanned for secrets when the run ends.
    setupFiles: ['./test/support/log-tap.ts'],
    globalSetup: ['./test/support/log-audit.ts'],
  },
});
