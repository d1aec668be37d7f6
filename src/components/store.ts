import type { StoreId } from '../core/ids.js';
import { storeCompose, storeK8s } from './store-deploy.js';
import type { Component, EnvVar } from './types.js';

/**
 * Session stores behind one interface (the seed's four strategies). A project carries the code
 * of its own store only, chosen at generation time: the memory store needs no component, Redis
 * and the database each bring their client, hybrid brings both. Each replaces
 * `src/state/open.ts`, which opens what the instances share; rate limit buckets in the database
 * come only to projects that run several instances (`storeComponents`).
 */
export const store: Component = {
  id: 'store',
  templates: ['store'],
  deploy: { compose: storeCompose, k8s: storeK8s },
  env: [
    {
      name: 'SESSION_TTL_MS',
      default: '1800000',
      schema: 'bounded(1000, 30 * 86_400_000)',
      description: 'Session records expire after this long without activity (sliding)',
    },
  ],
  layout: {
    'src/store/': 'the session store behind one interface, with a circuit breaker around its services',
    'src/state/open.ts': 'opens what the instances share: the session store and, with replicas, the rate limit buckets',
  },
};

const REDIS_ENV: EnvVar[] = [
  {
    name: 'REDIS_URL',
    default: 'redis://127.0.0.1:6379',
    schema: "z.string().regex(/^rediss?:\\/\\//, { error: 'expected a redis:// or rediss:// URL' })",
    description: 'Redis connection URL of the session store; replicas share rate limits there too',
  },
  {
    name: 'REDIS_KEY_PREFIX',
    default: 'mcp:',
    schema: 'z.string()',
    description: 'Prefix of every Redis key the session store writes; lets several apps share one Redis',
  },
];

const DATABASE_ENV: EnvVar[] = [
  {
    name: 'DATABASE_URL',
    default: 'file:./data/sessions.db',
    schema:
      "z.string().regex(/^(file:|postgres:\\/\\/|postgresql:\\/\\/)/, { error: 'expected file:path, postgres:// or postgresql://' })",
    description: 'file:path for SQLite or postgres://user:pass@host/db for Postgres',
  },
  {
    name: 'SESSION_TABLE',
    default: 'mcp_sessions',
    schema: 'tableName',
    description: 'Table of the session records (created on start); lets several apps share one database',
  },
];

export const redisStore: Component = {
  id: 'store-redis',
  templates: ['store-redis', 'rate-limit-shared'],
  replaces: ['src/state/open.ts'],
  dependencies: ['ioredis'],
  env: REDIS_ENV,
  layout: { 'src/rate-limit/redis.ts': 'rate limit buckets replicas share in Redis' },
};

export const databaseStore: Component = {
  id: 'store-database',
  templates: ['store-database'],
  replaces: ['src/state/open.ts'],
  dependencies: ['pg'],
  devDependencies: ['@types/pg'],
  env: DATABASE_ENV,
  layout: {
    'data/': 'the SQLite file of the database store',
  },
};

/** Rate limit buckets that the instances of a replicated project share in the session database. */
export const databaseRateLimits: Component = {
  id: 'rate-limit-database',
  templates: ['rate-limit-database', 'rate-limit-shared'],
  replaces: ['src/state/open.ts'],
  env: [
    {
      name: 'RATE_LIMIT_TABLE',
      default: 'mcp_rate_limits',
      schema: 'tableName',
      description: 'Table of the rate limit buckets replicas share in the session database (created on start)',
    },
  ],
  layout: {
    'src/rate-limit/database.ts': 'rate limit buckets replicas share in the session database',
    'src/events/postgres-bus.ts':
      'subscriptions/listen change events shared by replicas through Postgres LISTEN/NOTIFY',
  },
};

/** Redis in front of the database: both clients, and the rate limits in Redis, not in the database. */
export const hybridStore: Component = {
  id: 'store-hybrid',
  templates: ['store-redis', 'rate-limit-shared', 'store-database', 'store-hybrid'],
  replaces: ['src/state/open.ts', 'test/store-env.ts'],
  dependencies: ['ioredis', 'pg'],
  devDependencies: ['@types/pg'],
  env: [...REDIS_ENV, ...DATABASE_ENV],
  layout: {
    'src/rate-limit/redis.ts': 'rate limit buckets replicas share in Redis',
    'data/': 'the SQLite file of the database behind Redis',
  },
};

/** The components a store adds to a project, in order, when it runs as one instance. */
export const STORE_COMPONENTS: Readonly<Record<StoreId, readonly Component[]>> = {
  memory: [],
  redis: [store, redisStore],
  database: [store, databaseStore],
  hybrid: [store, hybridStore],
};

/**
 * The components a store adds to a project, in order. Several instances share their rate limits
 * in the store: Redis (and hybrid, in its Redis) ship that with the client; the database ships
 * its buckets only then, since a single instance counts in its own process.
 */
export function storeComponents(storeId: StoreId, { replicated }: { replicated: boolean }): readonly Component[] {
  const components = STORE_COMPONENTS[storeId];
  return replicated && storeId === 'database' ? [...components, databaseRateLimits] : components;
}
