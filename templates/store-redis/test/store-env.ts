import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { deleteKeys } from './redis-helpers.js';
import { assertReachable, service } from './services.js';

/** This project's store, for suites that run the whole server on it (test/replicas.test.ts). */
export const STORE = 'redis';
/** Where replicas share their rate limit buckets. */
export const LIMITS_IN = 'Redis';
export const USES_REDIS = true;

const redis = service('redis');
const PREFIX = `test:${randomUUID()}:`;

/** Checks the store's services are reachable before the suite, and removes what it wrote after. */
export function useStoreServices(): void {
  beforeAll(() => assertReachable('redis', redis));
  afterAll(() => (redis.url ? deleteKeys(redis.url, PREFIX) : undefined));
}

/** The variables that point the server at the store, with keys of the suite's own under `purpose`. */
export function storeEnv(purpose: string, _dir: string): Record<string, string> {
  return { REDIS_URL: redis.url!, REDIS_KEY_PREFIX: `${PREFIX}${purpose}:` };
}

/** The variables that let replicas share `subscriptions/listen` change events: a channel of the suite's own under `purpose`. */
export function eventsEnv(purpose: string, dir: string): Record<string, string> {
  return storeEnv(purpose, dir);
}

/** Change events travel through Redis, which useStoreServices() already checks and cleans. */
export function useEventServices(): void {}
