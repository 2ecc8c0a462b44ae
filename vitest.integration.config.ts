import { defineConfig } from 'vitest/config';

/** Heavy suites: real child processes, kill -9, large volumes. Run by .ci/run after `npm test`. */
export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
