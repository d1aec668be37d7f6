import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Each file starts its own servers on random ports; files run in parallel processes.
    pool: 'forks',
    // The files wait on servers, child processes and timers more than they compute: at least two run at
    // once, also on a two-core machine (where vitest's default of one core less would run one at a time).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Unless a test names its own servers file, the gateway serves the example tools through one
    // transparent backend, so the suite written for those tools also proves the gateway transparent.
    env: { GATEWAY_CONFIG: 'test/fixtures/example-tools.json' },
  },
});
