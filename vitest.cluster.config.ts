import { defineConfig } from 'vitest/config';

/**
 * Cluster suite: three real hub processes on one PostgreSQL (kill -9 of
 * nodes, database outages). Uses HEROLD_TEST_DATABASE_URL, by default the
 * local server. Run by .ci/run after the other suites.
 */
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    env: { HEROLD_TEST_DATABASE_URL: process.env.HEROLD_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
