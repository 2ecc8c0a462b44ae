import { defineConfig } from 'vitest/config';

/**
 * The console's browser suite: Debian's Chromium driven by playwright-core
 * against real hubs (npm run test:browser; .ci/run installs chromium when it
 * is missing). One file per screen; files run one after another, since each
 * drives a browser.
 */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.spec.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
