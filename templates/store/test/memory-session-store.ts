import { DuplicateSessionError, newRecord, systemClock, type Clock, type NewSession, type SessionRecord, type SessionStore, type StoreOptions } from '../src/store/session-store.js';

/** One process only: records die with it. Fine for development and single-instance servers. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly ttlMs: number;
  private readonly now: Clock;

  constructor({ ttlMs, now = systemClock }: StoreOptions) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  async create(session: NewSession): Promise<SessionRecord> {
    if (this.live(session.sessionId)) throw new DuplicateSessionError(session.sessionId);
    const record = newRecord(session, this.now(), this.ttlMs);
    this.sessions.set(record.sessionId, record);
    let ids = this.byUser.get(record.userId);
    if (!ids) this.byUser.set(record.userId, (ids = new Set()));
    ids.add(record.sessionId);
    return structuredClone(record);
  }

  async get(sessionId: string): Promise<SessionRecord | undefined> {
    const record = this.live(sessionId);
    return record && structuredClone(record);
  }

  async touch(sessionId: string): Promise<SessionRecord | undefined> {
    const record = this.live(sessionId);
    if (!record) return undefined;
    record.lastActivity = this.now();
    record.expiresAt = record.lastActivity + this.ttlMs;
    return structuredClone(record);
  }

  async delete(sessionId: string): Promise<void> {
    const record = this.sessions.get(sessionId);
    if (!record) return;
    this.sessions.delete(sessionId);
    const ids = this.byUser.get(record.userId);
    ids?.delete(sessionId);
    if (ids?.size === 0) this.byUser.delete(record.userId);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const ids = [...(this.byUser.get(userId) ?? [])];
    return ids.flatMap((id) => {
      const record = this.live(id);
      return record ? [structuredClone(record)] : [];
    });
  }

  async purgeExpired(): Promise<number> {
    const now = this.now();
    const expired = [...this.sessions.values()].filter((record) => record.expiresAt <= now);
    for (const record of expired) await this.delete(record.sessionId);
    return expired.length;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.sessions.clear();
    this.byUser.clear();
  }

  private live(sessionId: string): SessionRecord | undefined {
    const record = this.sessions.get(sessionId);
    if (!record) return undefined;
    if (record.expiresAt <= this.now()) {
      void this.delete(sessionId);
      return undefined;
    }
    return record;
  }
}
