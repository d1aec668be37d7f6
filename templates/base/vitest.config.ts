import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 15_000,
    hookTimeout: 15_000,
    // Each file starts its own servers on random ports; files run in parallel processes.
    pool: 'forks',
    // The files wait on servers, child processes and timers more than they compute: at least two run at
    // once, also on a two-core machine (where vitest's default of one core less would run one at a time).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
