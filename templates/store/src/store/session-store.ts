/**
 * Session records and the one interface every store implements.
 *
 * Times are epoch milliseconds from the store's clock (`now`), never from `Date.now()` directly:
 * expiry is then testable without waiting, and every store agrees on what "expired" means.
 */

/** JSON value as stored: records must survive a round trip through Redis and SQL unchanged. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface SessionRecord {
  /** The MCP session id (`Mcp-Session-Id`). */
  sessionId: string;
  /** The authenticated identity the session is bound to. */
  userId: string;
  /** Capabilities negotiated at initialize. */
  capabilities: Record<string, Json>;
  createdAt: number;
  /** Last time the session was used; moved by `touch`. */
  lastActivity: number;
  /** Free-form data of the application (client info, preferences). */
  metadata: Record<string, Json>;
  /** After this instant the record is gone for every reader, whether or not it was purged yet. */
  expiresAt: number;
  /** The original initialize request, so another process can rebuild the session from the record. */
  initializeRequest?: Json;
}

/** What a caller supplies; the store sets the times from its clock and TTL. */
export interface NewSession {
  sessionId: string;
  userId: string;
  capabilities?: Record<string, Json>;
  metadata?: Record<string, Json>;
  initializeRequest?: Json;
}

export type Clock = () => number;

/** The only place the wall clock is read; stores take a `now` option instead. */
export const systemClock: Clock = () => Date.now();

export interface StoreOptions {
  /** Sliding expiry: a record lives this long after its last `create` or `touch`. */
  ttlMs: number;
  now?: Clock;
}

/** Thrown when the backing service cannot be reached; the message names it, never its credentials. */
export class SessionStoreUnavailableError extends Error {
  constructor(store: string, cause: unknown) {
    super(`session store ${store} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SessionStoreUnavailableError';
  }
}

export interface SessionStore {
  /** Stores a new session that expires `ttlMs` from now; an existing id is an error. */
  create(session: NewSession): Promise<SessionRecord>;
  /** The live record, or undefined when unknown or expired. */
  get(sessionId: string): Promise<SessionRecord | undefined>;
  /** Marks activity and pushes expiry to `now + ttlMs`; undefined when unknown or expired. */
  touch(sessionId: string): Promise<SessionRecord | undefined>;
  /** Removes the session; deleting an unknown id is not an error. */
  delete(sessionId: string): Promise<void>;
  /** The user's live sessions, in no particular order; costs O(that user's sessions). */
  listByUser(userId: string): Promise<SessionRecord[]>;
  /** Removes expired records now (readers already ignore them); returns how many were removed. */
  purgeExpired(): Promise<number>;
  /** Resolves when the backing service answers; `/ready` turns 503 while it throws. */
  ping(): Promise<void>;
  /** Releases connections; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** A record built from a new session and the clock, shared so every store computes it alike. */
export function newRecord(session: NewSession, now: number, ttlMs: number): SessionRecord {
  return {
    sessionId: session.sessionId,
    userId: session.userId,
    capabilities: session.capabilities ?? {},
    createdAt: now,
    lastActivity: now,
    metadata: session.metadata ?? {},
    expiresAt: now + ttlMs,
    ...(session.initializeRequest === undefined ? {} : { initializeRequest: session.initializeRequest }),
  };
}

export class DuplicateSessionError extends Error {
  constructor(sessionId: string) {
    super(`session ${sessionId} already exists`);
    this.name = 'DuplicateSessionError';
  }
}
