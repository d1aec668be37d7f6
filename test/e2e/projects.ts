import { join } from 'node:path';
import { ROOT } from '../cli/run-bin.js';

/**
 * Generated projects whose own suite an end-to-end file runs in full, by the arguments that
 * generate them. An evolve chain that ends on the options of one of them names it instead of
 * running the same suite again: the chain's steps are checked exactly against the rendering of
 * those options, so what is left for the chain to prove is its edits and what it added.
 */
export const SUITE_PROJECTS = {
  /** test/e2e/gateway.test.ts: the 2025 sessions in Redis, as a gateway with replicas keeps them. */
  gateway: ['--pattern', 'gateway', '--store', 'redis'],
  /** test/e2e/stores.test.ts: replicas on the hybrid store, deployed with compose and k8s, traced. */
  stores: [
    '--pattern',
    'load-balanced',
    '--store',
    'hybrid',
    '--deploy',
    'docker,compose,k8s',
    '--answers',
    join(ROOT, 'test', 'fixtures', 'answers', 'tracing.json'),
  ],
  /** test/e2e/multi-server.test.ts */
  'multi-server': ['--pattern', 'multi-server'],
  /** test/e2e/serverless.test.ts */
  serverless: ['--pattern', 'serverless', '--deploy', 'lambda,vercel'],
} as const satisfies Record<string, readonly string[]>;

export type SuiteProject = keyof typeof SUITE_PROJECTS;

/** The built Vercel handler behind a plain Node HTTP server, so that an HTTP client (the conformance suite) can reach it. */
export const VERCEL_SERVER = `
import { serve } from '@hono/node-server';
import { createVercelHandler } from './dist/serverless/vercel.js';
const handler = createVercelHandler(process.env);
serve({ fetch: (request) => handler(request), port: Number(process.env.PORT), hostname: '127.0.0.1' });
`;
