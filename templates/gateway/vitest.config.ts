import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Each file starts its own servers on random ports; files run in parallel processes.
    pool: 'forks',
    // Unless a test names its own servers file, the gateway serves the example tools through one
    // transparent backend, so the suite written for those tools also proves the gateway transparent.
    env: { GATEWAY_CONFIG: 'test/fixtures/example-tools.json' },
  },
});
