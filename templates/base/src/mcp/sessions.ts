import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { Logger } from '../observability/logger.js';
import type { ServedMcp } from './layer-types.js';
import type { Metrics } from '../observability/metrics.js';

export interface Session {
  id: string;
  /** The identity that created the session; only it may use the session. */
  owner: string;
  server: ServedMcp;
  transport: WebStandardStreamableHTTPServerTransport;
  lastSeen: number;
  /** Responses still streaming for this session (a held GET stream counts). */
  active: number;
}

/** JSON as a session record holds it (the store keeps records as JSON). */
export type SessionJson = null | boolean | number | string | SessionJson[] | { [key: string]: SessionJson };

/** What a replica needs to rebuild a session it has never seen. */
export interface SharedSessionRecord {
  sessionId: string;
  userId: string;
  capabilities: Record<string, SessionJson>;
  metadata: Record<string, SessionJson>;
  /** The initialize request the client sent; replayed into a fresh transport to rebuild the session. */
  initializeRequest?: SessionJson;
}

/**
 * The part of a session store (src/store/, generated with --store) the registry uses. Declared
 * here so the base compiles without the store module; every `SessionStore` fits.
 */
export interface SharedSessionStore {
  create(session: Omit<SharedSessionRecord, 'capabilities' | 'metadata'> & Partial<SharedSessionRecord>): Promise<SharedSessionRecord>;
  /** Marks activity and returns the live record; undefined once it expired or was deleted anywhere. */
  touch(sessionId: string): Promise<SharedSessionRecord | undefined>;
  delete(sessionId: string): Promise<void>;
}

/** The shared store failed: the request cannot be answered now, but may be retried. */
export class SessionStoreError extends Error {
  constructor(cause: unknown) {
    super(`session store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SessionStoreError';
  }
}

/** This process holds as many busy sessions as MAX_SESSIONS allows. */
export class SessionCapacityError extends Error {
  constructor(maxSessions: number) {
    super(`this instance holds MAX_SESSIONS=${maxSessions} busy sessions`);
    this.name = 'SessionCapacityError';
  }
}

/** Rebuilds the live objects of a session from its record (see src/mcp/transport.ts). */
export type RebuildSession = (record: SharedSessionRecord) => Promise<Omit<Session, 'lastSeen' | 'active'>>;

export interface SessionRegistry {
  readonly size: number;
  /** Whether a new session fits; with a shared store it makes room by dropping an idle copy (it can be rebuilt). */
  hasRoom(): boolean;
  /** Whether records live in a shared store, so any replica can continue a session. */
  readonly shared: boolean;
  /**
   * The session for a request by `owner`, or undefined when it is unknown, expired, ended on
   * any replica, or belongs to someone else (the same answer, so ids cannot be probed).
   * With a shared store every call checks the record, so a DELETE on one replica is seen by
   * all, and a replica that does not hold the session rebuilds it with `rebuild`.
   * Throws `SessionStoreError` while the store is unreachable, `SessionCapacityError` when no copy fits.
   */
  resolve(id: string, owner: string, rebuild: RebuildSession): Promise<Session | undefined>;
  /** Writes the record of a new session before it is answered; throws `SessionStoreError`. */
  record(record: Omit<SharedSessionRecord, 'capabilities' | 'metadata'> & Partial<SharedSessionRecord>): Promise<void>;
  /** Deletes a record (DELETE, or an initialize that failed); throws `SessionStoreError`. */
  forget(id: string): Promise<void>;
  add(session: Omit<Session, 'lastSeen' | 'active'>): void;
  /** Forgets this process' copy; with `transport`, only if the copy is still the one on that transport. */
  remove(id: string, transport?: Session['transport']): void;
  /** Marks a request on the session as started; the returned function marks it finished. */
  use(session: Session): () => void;
  /** Closes this process' copies; records in a shared store stay, for the other replicas. */
  closeAll(): Promise<void>;
}

export interface SessionRegistryOptions {
  idleTimeoutMs: number;
  maxSessions: number;
  metrics: Metrics;
  logger: Logger;
  /** Shared records (load-balanced replicas); without it sessions live only in this process. */
  store?: SharedSessionStore;
  now?: () => number;
}

/**
 * Sessions of this instance, in memory, optionally backed by a shared store. A session nobody
 * used for `idleTimeoutMs` (and with nothing streaming) is closed, so abandoned clients do not
 * hold memory forever; with a store that only drops this process' copy, and the next request
 * rebuilds it from the record.
 */
export function createSessionRegistry({ idleTimeoutMs, maxSessions, metrics, logger, store, now = Date.now }: SessionRegistryOptions): SessionRegistry {
  const sessions = new Map<string, Session>();
  const rebuilding = new Map<string, Promise<Session | undefined>>();
  const updateGauge = () => metrics.activeSessions.set(sessions.size);

  const close = async (session: Session, reason: string) => {
    logger.info({ sessionId: session.id, owner: session.owner, reason }, 'session closed');
    sessions.delete(session.id);
    updateGauge();
    await session.server.close();
  };

  const add = (fields: Omit<Session, 'lastSeen' | 'active'>, event: string): Session => {
    const session: Session = { ...fields, lastSeen: now(), active: 0 };
    sessions.set(session.id, session);
    updateGauge();
    logger.info({ sessionId: session.id, owner: session.owner }, event);
    return session;
  };

  const sweeper = setInterval(() => {
    const cutoff = now() - idleTimeoutMs;
    for (const session of sessions.values()) {
      if (session.active === 0 && session.lastSeen < cutoff) void close(session, 'idle');
    }
  }, Math.min(Math.max(idleTimeoutMs / 4, 250), 60_000));
  sweeper.unref();

  const inStore = async <T>(operation: (shared: SharedSessionStore) => Promise<T>): Promise<T | undefined> => {
    if (!store) return undefined;
    try {
      return await operation(store);
    } catch (error) {
      throw new SessionStoreError(error);
    }
  };

  /** With a store, a full process makes room by dropping the idle copy used longest ago: it can be rebuilt. */
  const makeRoom = (): boolean => {
    if (sessions.size < maxSessions) return true;
    if (!store) return false;
    let oldest: Session | undefined;
    for (const session of sessions.values()) {
      if (session.active === 0 && (!oldest || session.lastSeen < oldest.lastSeen)) oldest = session;
    }
    if (!oldest) return false;
    void close(oldest, 'evicted');
    return true;
  };

  return {
    get size() {
      return sessions.size;
    },
    hasRoom: makeRoom,
    shared: store !== undefined,
    async resolve(id, owner, rebuild) {
      const local = sessions.get(id);
      if (!store) {
        if (local && local.owner !== owner) logger.warn({ sessionId: id, owner, sessionOwner: local.owner }, 'session used by another identity');
        return local?.owner === owner ? local : undefined;
      }
      // The record decides: it is gone once any replica ended the session or it expired.
      const record = await inStore((shared) => shared.touch(id));
      if (!record) {
        if (local) await close(local, 'ended elsewhere');
        return undefined;
      }
      if (record.userId !== owner) {
        logger.warn({ sessionId: id, owner, sessionOwner: record.userId }, 'session used by another identity');
        return undefined;
      }
      if (local) return local;
      if (!record.initializeRequest) {
        logger.warn({ sessionId: id }, 'session record has no initialize request: it cannot be rebuilt here');
        return undefined;
      }
      // Concurrent requests for the same session rebuild it once.
      let pending = rebuilding.get(id);
      if (!pending) {
        pending = (async () => {
          if (!makeRoom()) throw new SessionCapacityError(maxSessions);
          try {
            return add(await rebuild(record), 'session rebuilt from the shared store');
          } catch (error) {
            // E.g. a stored protocol version this release no longer speaks: 404 makes the client start over.
            logger.warn({ err: error, sessionId: id }, 'session could not be rebuilt from its record; the client must initialize again');
            return undefined;
          }
        })().finally(() => rebuilding.delete(id));
        rebuilding.set(id, pending);
      }
      return pending;
    },
    async record(fields) {
      await inStore((shared) => shared.create(fields));
    },
    async forget(id) {
      await inStore((shared) => shared.delete(id));
    },
    add(fields) {
      add(fields, 'session created');
    },
    remove(id, transport) {
      // A copy closed late must not take a newer copy of the same session (rebuilt since) with it.
      if (transport && sessions.get(id)?.transport !== transport) return;
      if (sessions.delete(id)) updateGauge();
    },
    use(session) {
      session.active += 1;
      session.lastSeen = now();
      let done = false;
      return () => {
        if (done) return;
        done = true;
        session.active -= 1;
        session.lastSeen = now();
      };
    },
    async closeAll() {
      clearInterval(sweeper);
      await Promise.all([...sessions.values()].map((session) => close(session, 'shutdown')));
    },
  };
}
