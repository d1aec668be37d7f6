import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { deleteKeys } from './redis-helpers.js';
import { assertReachable, service } from './services.js';

/** This project's store, for suites that run the whole server on it (test/replicas.test.ts). */
export const STORE = 'hybrid';
/** Where replicas share their rate limit buckets: the Redis in front. */
export const LIMITS_IN = 'Redis';
export const USES_REDIS = true;

const redis = service('redis');
const PREFIX = `test:${randomUUID()}:`;

/** Checks Redis is reachable before the suite, and removes what it wrote after. */
export function useStoreServices(): void {
  beforeAll(() => assertReachable('redis', redis));
  afterAll(() => (redis.url ? deleteKeys(redis.url, PREFIX) : undefined));
}

/** Redis keys of the suite's own under `purpose`, and a SQLite file of its own under `dir` behind them. */
export function storeEnv(purpose: string, dir: string): Record<string, string> {
  return { REDIS_URL: redis.url!, REDIS_KEY_PREFIX: `${PREFIX}${purpose}:`, DATABASE_URL: `file:${join(dir, `${purpose}-${randomUUID()}.db`)}` };
}

/** The variables that let replicas share `subscriptions/listen` change events: through the Redis in front. */
export function eventsEnv(purpose: string, dir: string): Record<string, string> {
  return storeEnv(purpose, dir);
}

/** Change events travel through Redis, which useStoreServices() already checks and cleans. */
export function useEventServices(): void {}
