import type { DatabaseSessionStore } from './database.js';
import type { RedisSessionStore } from './redis.js';
import type { NewSession, SessionRecord, SessionStore } from './session-store.js';

export interface HybridStoreOptions {
  redis: RedisSessionStore;
  database: DatabaseSessionStore;
  /** Told about every Redis failure the store absorbed (the database kept serving). */
  onRedisError?: (error: unknown) => void;
}

/**
 * Redis in front of the database. The database is the record of truth: every write goes there
 * first, so losing Redis (flushed, evicted, down) loses no session. Reads try Redis and fall back
 * to the database, writing what they found back into Redis.
 *
 * While Redis is unreachable its copy of a session can go stale (a delete or touch it missed).
 * Those ids are remembered and read from the database until Redis has been corrected; the memory
 * is per process, so with several replicas keep Redis outages short or its keys' TTL low.
 */
export class HybridSessionStore implements SessionStore {
  private readonly redis: RedisSessionStore;
  private readonly database: DatabaseSessionStore;
  private readonly onRedisError: (error: unknown) => void;
  private readonly unsynced = new Set<string>();

  constructor({ redis, database, onRedisError = () => {} }: HybridStoreOptions) {
    this.redis = redis;
    this.database = database;
    this.onRedisError = onRedisError;
  }

  async create(session: NewSession): Promise<SessionRecord> {
    const record = await this.database.create(session);
    await this.mirror(record.sessionId, () => this.redis.put(record));
    return record;
  }

  async get(sessionId: string): Promise<SessionRecord | undefined> {
    if (!this.unsynced.has(sessionId)) {
      try {
        const cached = await this.redis.get(sessionId);
        if (cached) return cached;
      } catch (error) {
        this.onRedisError(error);
      }
    }
    const record = await this.database.get(sessionId);
    await this.mirror(sessionId, () => (record ? this.redis.put(record) : this.redis.delete(sessionId)));
    return record;
  }

  async touch(sessionId: string): Promise<SessionRecord | undefined> {
    const record = await this.database.touch(sessionId);
    await this.mirror(sessionId, () => (record ? this.redis.put(record) : this.redis.delete(sessionId)));
    return record;
  }

  async delete(sessionId: string): Promise<void> {
    await this.database.delete(sessionId);
    await this.mirror(sessionId, () => this.redis.delete(sessionId));
  }

  /** From the database: it holds every session, Redis only those it has not lost. */
  listByUser(userId: string): Promise<SessionRecord[]> {
    return this.database.listByUser(userId);
  }

  async purgeExpired(): Promise<number> {
    const removed = await this.database.purgeExpired();
    await this.redis.purgeExpired().catch((error: unknown) => this.onRedisError(error));
    return removed;
  }

  /** Ready while the database answers: without Redis the store is slower, not broken. */
  ping(): Promise<void> {
    return this.database.ping();
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.redis.close(), this.database.close()]);
  }

  /** Applies a change to Redis; on failure the id is served from the database until a later change lands. */
  private async mirror(sessionId: string, change: () => Promise<void>): Promise<void> {
    try {
      await change();
      this.unsynced.delete(sessionId);
    } catch (error) {
      this.unsynced.add(sessionId);
      this.onRedisError(error);
    }
  }
}
