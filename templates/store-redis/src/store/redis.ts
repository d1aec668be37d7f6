import { Redis } from 'ioredis';
import {
  DuplicateSessionError,
  newRecord,
  SessionStoreUnavailableError,
  systemClock,
  type Clock,
  type NewSession,
  type SessionRecord,
  type SessionStore,
  type StoreOptions,
} from './session-store.js';

export interface RedisStoreOptions extends StoreOptions {
  client: Redis;
  /** Every key starts with it, so several apps (or test runs) can share one Redis. */
  prefix?: string;
  /** Whether close() ends the connection; false when the caller shares the client. */
  ownsClient?: boolean;
}

/**
 * A client that fails fast while disconnected instead of queueing commands: a request then
 * gets a clear error (or the hybrid store falls back to the database) rather than hanging
 * until Redis returns. It keeps reconnecting in the background.
 */
export function createRedisClient(url: string, { onError }: { onError?: (error: Error) => void } = {}): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    connectTimeout: 2000,
    // Reconnect with capped backoff and jitter: replicas that lost Redis together do not return in lockstep.
    retryStrategy: (attempt) => reconnectDelay(attempt),
  });
  // Without a listener every failed reconnect would be reported as an unhandled error event.
  client.on('error', (error: Error) => onError?.(error));
  return client;
}

/** Resolves after the first connection attempt, successful or not (bounded by timeoutMs). */
export async function firstConnection(client: Redis, timeoutMs = 2000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    client.once('ready', done);
    client.once('error', done);
  });
}

/**
 * One key per session (`<prefix>session:<id>`, JSON, with a TTL) plus two sorted sets scored by
 * expiry: `<prefix>user:<userId>` so listing a user's sessions never scans the keyspace, and
 * `<prefix>expiry` so purgeExpired finds index entries whose session key Redis already dropped.
 */
export class RedisSessionStore implements SessionStore {
  readonly client: Redis;
  readonly prefix: string;
  private readonly ttlMs: number;
  private readonly now: Clock;
  private readonly ownsClient: boolean;

  constructor({ client, prefix = 'mcp:', ttlMs, now = systemClock, ownsClient = true }: RedisStoreOptions) {
    this.client = client;
    this.prefix = prefix;
    this.ttlMs = ttlMs;
    this.now = now;
    this.ownsClient = ownsClient;
  }

  async create(session: NewSession): Promise<SessionRecord> {
    const record = newRecord(session, this.now(), this.ttlMs);
    const key = this.sessionKey(record.sessionId);
    const created = await this.call(() => this.client.set(key, JSON.stringify(record), 'PX', this.ttlMs, 'NX'));
    if (created === null) {
      // Expired on the store's clock but not yet dropped by Redis' TTL: the id is free again.
      if (await this.get(record.sessionId)) throw new DuplicateSessionError(record.sessionId);
      await this.delete(record.sessionId);
      await this.call(() => this.client.set(key, JSON.stringify(record), 'PX', this.ttlMs));
    }
    await this.call(() => this.index(record).exec());
    return record;
  }

  async get(sessionId: string): Promise<SessionRecord | undefined> {
    const raw = await this.call(() => this.client.get(this.sessionKey(sessionId)));
    return this.liveRecord(raw);
  }

  async touch(sessionId: string): Promise<SessionRecord | undefined> {
    const record = await this.get(sessionId);
    if (!record) return undefined;
    record.lastActivity = this.now();
    record.expiresAt = record.lastActivity + this.ttlMs;
    // XX: a session deleted meanwhile must not come back.
    const updated = await this.call(() => this.client.set(this.sessionKey(sessionId), JSON.stringify(record), 'PX', this.ttlMs, 'XX'));
    if (updated === null) return undefined;
    await this.call(() => this.index(record).exec());
    return record;
  }

  /** Writes a record as it is (used to repopulate Redis from the database). */
  async put(record: SessionRecord): Promise<void> {
    const ttl = record.expiresAt - this.now();
    if (ttl <= 0) return;
    await this.call(() => this.index(record).set(this.sessionKey(record.sessionId), JSON.stringify(record), 'PX', ttl).exec());
  }

  async delete(sessionId: string): Promise<void> {
    const raw = await this.call(() => this.client.get(this.sessionKey(sessionId)));
    const multi = this.client.multi().del(this.sessionKey(sessionId));
    if (raw !== null) {
      const { userId } = JSON.parse(raw) as SessionRecord;
      multi.zrem(this.userKey(userId), sessionId).zrem(this.expiryKey(), expiryMember(userId, sessionId));
    }
    await this.call(() => multi.exec());
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const userKey = this.userKey(userId);
    const ids = await this.call(async () => {
      await this.client.zremrangebyscore(userKey, '-inf', this.now());
      return this.client.zrange(userKey, 0, -1);
    });
    if (ids.length === 0) return [];
    const raws = await this.call(() => this.client.mget(ids.map((id) => this.sessionKey(id))));
    const records: SessionRecord[] = [];
    const stale: string[] = [];
    raws.forEach((raw, i) => {
      const record = this.liveRecord(raw);
      if (record && record.userId === userId) records.push(record);
      else stale.push(ids[i]!);
    });
    if (stale.length > 0) await this.call(() => this.client.zrem(userKey, ...stale));
    return records;
  }

  async purgeExpired(): Promise<number> {
    const members = await this.call(() => this.client.zrangebyscore(this.expiryKey(), '-inf', this.now()));
    if (members.length === 0) return 0;
    const multi = this.client.multi();
    for (const member of members) {
      const [userId, sessionId] = JSON.parse(member) as [string, string];
      multi.del(this.sessionKey(sessionId)).zrem(this.userKey(userId), sessionId);
    }
    multi.zrem(this.expiryKey(), ...members);
    await this.call(() => multi.exec());
    return members.length;
  }

  async ping(): Promise<void> {
    await this.call(() => this.client.ping());
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
  }

  private index(record: SessionRecord) {
    const userKey = this.userKey(record.userId);
    // Both indexes live a full TTL past their latest write (longer for a record written on a clock
    // ahead of this one), so no session they list outlives them, whatever order the records come
    // in (a record put back from the database may have little time left): once the last one has
    // expired (the prefix was changed, the app retired), they go too.
    const ttl = Math.max(this.ttlMs, record.expiresAt - this.now());
    return this.client
      .multi()
      .zadd(userKey, record.expiresAt, record.sessionId)
      .pexpire(userKey, ttl)
      .zadd(this.expiryKey(), record.expiresAt, expiryMember(record.userId, record.sessionId))
      .pexpire(this.expiryKey(), ttl);
  }

  private liveRecord(raw: string | null): SessionRecord | undefined {
    if (raw === null) return undefined;
    const record = JSON.parse(raw) as SessionRecord;
    // Redis' own TTL runs on its clock; the store's clock is the one that decides.
    return record.expiresAt > this.now() ? record : undefined;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      const result = await command();
      // MULTI reports per-command errors in its result instead of rejecting.
      if (Array.isArray(result)) {
        for (const entry of result as unknown[]) {
          if (Array.isArray(entry) && entry[0] instanceof Error) throw entry[0];
        }
      }
      return result;
    } catch (error) {
      if (error instanceof DuplicateSessionError) throw error;
      throw new SessionStoreUnavailableError('redis', error);
    }
  }

  private sessionKey(sessionId: string): string {
    return `${this.prefix}session:${sessionId}`;
  }

  private userKey(userId: string): string {
    return `${this.prefix}user:${userId}`;
  }

  private expiryKey(): string {
    return `${this.prefix}expiry`;
  }
}

function expiryMember(userId: string, sessionId: string): string {
  return JSON.stringify([userId, sessionId]);
}

/** Delay before reconnect attempt `attempt` (1, 2, ...): half of a capped exponential step, plus up to as much at random. */
function reconnectDelay(attempt: number): number {
  const step = Math.min(2000, 100 * 2 ** Math.min(attempt, 5));
  return step / 2 + Math.random() * (step / 2);
}
