import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Three projects, chosen by what a test needs rather than by what it tests:
 * - unit: in-process, no network, no service, no generated-project install (`npm run test:unit`);
 * - live: starts servers or processes of its own (the built bins, tmux, loopback servers,
 *   projects that `verify --live` launches) and may fetch a Node runtime;
 * - e2e: generates projects, installs their dependencies and runs them against Redis,
 *   Postgres and nginx.
 * A test file is a unit test unless it is named here. `npm test` runs the projects one group
 * after the other (unit, live, e2e), so the slow groups never compete with the fast one for the
 * machine. `test/projects.test.ts` checks that every file named here exists.
 */
export const LIVE = [
  'test/cli/interactive.test.ts',
  'test/cli/interrupt.test.ts',
  'test/cli/pack.test.ts',
  'test/cli/verify-cli.test.ts',
  'test/evolve/interactive.test.ts',
  'test/verify/html-browser.test.ts',
  'test/verify/live.test.ts',
  'test/verify/live-launch.test.ts',
  'test/verify/live-protocol.test.ts',
  'test/verify/live-replicas.test.ts',
];
// nginx-config runs the nginx binary, which the end-to-end environment check requires.
export const E2E = [
  'test/e2e/**/*.test.ts',
  'test/verify/live-generated.test.ts',
  'test/verify/live-replicas-generated.test.ts',
  'test/render/nginx-config.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // One module graph per worker, not per file: the generator, its templates and the SDK are
          // loaded once instead of in each of the 80-odd files (about half of this project's time
          // was imports). Unit tests keep no state in shared modules; what a test makes, it removes
          // itself (onTestFinished, or afterAll in the file that made it).
          isolate: false,
          include: ['test/**/*.test.ts'],
          // Two files at a time: tsc and the test runner then share the two cores instead of taking turns.
          maxWorkers: 2,
          exclude: [...configDefaults.exclude, ...LIVE, ...E2E],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'live',
          include: LIVE,
          hookTimeout: 300_000,
          sequence: { groupOrder: 1 },
          // Two files at a time: most of a live test waits on the processes and servers it started.
          maxWorkers: 2,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: E2E,
          hookTimeout: 600_000,
          sequence: { groupOrder: 2 },
          // Two generated projects at a time: much of each run waits on processes, sockets and timers.
          maxWorkers: 2,
        },
      },
    ],
  },
});
