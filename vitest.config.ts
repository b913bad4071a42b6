import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Builds the web app when stale, for the browser tests (test/browser/).
    globalSetup: ['test/browser/global-setup.ts'],
  },
});
