import type { Component } from './types.js';

/**
 * Session stores behind one interface (the seed's four strategies): memory, Redis, a database
 * (SQLite through `node:sqlite`, or Postgres) and Redis in front of the database.
 * Only projects whose store is not `memory` get it, so those stay free of Redis and pg.
 */
export const store: Component = {
  id: 'store',
  templates: ['store'],
  dependencies: ['ioredis', 'pg'],
  devDependencies: ['@types/pg'],
  env: [
    { name: 'SESSION_STORE', default: 'memory', description: 'Where session records live: memory, redis, database or hybrid (Redis in front of the database)' },
    { name: 'SESSION_TTL_MS', default: '1800000', description: 'Session records expire after this long without activity (sliding)' },
    { name: 'REDIS_URL', default: 'redis://127.0.0.1:6379', description: 'Redis connection URL (SESSION_STORE=redis or hybrid); replicas share rate limits there too, except with SESSION_STORE=database' },
    { name: 'REDIS_KEY_PREFIX', default: 'mcp:', description: 'Prefix of every Redis key the session store writes; lets several apps share one Redis' },
    { name: 'SESSION_TABLE', default: 'mcp_sessions', description: 'Table of the session records (created on start); lets several apps share one database' },
    { name: 'DATABASE_URL', default: 'file:./data/sessions.db', description: 'file:path for SQLite or postgres://user:pass@host/db for Postgres (SESSION_STORE=database or hybrid); with SESSION_STORE=database replicas share rate limits there too' },
    { name: 'RATE_LIMIT_TABLE', default: 'mcp_rate_limits', description: 'Table of the rate limit buckets replicas share when SESSION_STORE=database (created on start)' },
  ],
};
