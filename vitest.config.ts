import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 600_000,
    // End-to-end tests install and run generated projects; keep them off the unit workers' clock.
    pool: 'forks',
  },
});
