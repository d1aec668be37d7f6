import type { Config } from '../config.js';
import { throttledWarning, type Logger } from '../observability/logger.js';
import { DatabaseSessionStore, isPostgresUrl, openPostgres, openSqlite, sqlitePath, type SqlDriver } from './database.js';
import { HybridSessionStore } from './hybrid.js';
import { MemorySessionStore } from './memory.js';
import { createRedisClient, firstConnection, RedisSessionStore } from './redis.js';
import { withResilience } from './resilient.js';
import type { Clock, SessionStore } from './session-store.js';

export type { SessionRecord, SessionStore, NewSession } from './session-store.js';

type StoreConfig = Pick<Config, 'sessionStore' | 'sessionTtlMs' | 'redisUrl' | 'redisKeyPrefix' | 'databaseUrl' | 'sessionTable'>;

export interface OpenOptions {
  logger?: Logger;
  now?: Clock;
}

/**
 * The store SESSION_STORE names, connected as far as its services allow: a service that is
 * down at start is reported by `ping()` (and so by `/ready`) instead of failing the start,
 * and the store recovers when it returns. Configuration mistakes do fail the start.
 */
export async function openSessionStore(config: StoreConfig, { logger, now }: OpenOptions = {}): Promise<SessionStore> {
  const ttlMs = config.sessionTtlMs;
  // A service that is down fails every reconnect attempt: one line per 30 s is enough to notice.
  const warn = (service: string) => throttledWarning(logger, 'session store service error (repeats within 30 s are not logged)', { service }).warn;

  const redisStore = async () => {
    if (!config.redisUrl) throw new Error(`REDIS_URL: required when SESSION_STORE=${config.sessionStore}`);
    const client = createRedisClient(config.redisUrl, { onError: warn('redis') });
    await firstConnection(client);
    return new RedisSessionStore({ client, prefix: config.redisKeyPrefix, ttlMs, now });
  };
  const databaseStore = async () => {
    const url = config.databaseUrl;
    const driver: SqlDriver = url && isPostgresUrl(url) ? await openPostgres(url, { onError: warn('postgres') }) : await openSqlite(sqlitePath(url));
    const store = new DatabaseSessionStore({ driver, ttlMs, now, table: config.sessionTable });
    await store.init().catch((error: unknown) => logger?.warn({ err: error }, 'session database not reachable yet: /ready stays 503 until it is'));
    return store;
  };

  // Services fail: calls to them go through a circuit breaker, and safe ones are retried briefly.
  const resilient = (store: SessionStore, name: string) =>
    withResilience(store, name, {
      onStateChange: (state) =>
        state === 'open' ? logger?.warn({ store: name }, 'session store circuit breaker open: failing fast until a probe succeeds') : logger?.info({ store: name, state }, 'session store circuit breaker'),
    });

  switch (config.sessionStore) {
    case 'memory':
      return new MemorySessionStore({ ttlMs, now });
    case 'redis':
      return resilient(await redisStore(), 'redis');
    case 'database':
      return resilient(await databaseStore(), 'database');
    case 'hybrid': {
      const database = await databaseStore();
      const redis = await redisStore();
      return resilient(new HybridSessionStore({ redis, database, onRedisError: warn('redis') }), 'hybrid');
    }
    default:
      throw new Error(`SESSION_STORE: expected memory, redis, database or hybrid (got ${JSON.stringify(config.sessionStore)})`);
  }
}
