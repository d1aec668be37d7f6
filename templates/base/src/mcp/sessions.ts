import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Logger } from '../observability/logger.js';
import type { ServedMcp } from './layer.js';
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

export interface SessionRegistry {
  readonly size: number;
  readonly full: boolean;
  get(id: string): Session | undefined;
  add(session: Omit<Session, 'lastSeen' | 'active'>): void;
  remove(id: string): void;
  /** Marks a request on the session as started; the returned function marks it finished. */
  use(session: Session): () => void;
  closeAll(): Promise<void>;
}

export interface SessionRegistryOptions {
  idleTimeoutMs: number;
  maxSessions: number;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

/**
 * Sessions of this instance, in memory. A session nobody used for `idleTimeoutMs` (and with
 * nothing streaming) is closed, so abandoned clients do not hold memory forever.
 */
export function createSessionRegistry({ idleTimeoutMs, maxSessions, metrics, logger, now = Date.now }: SessionRegistryOptions): SessionRegistry {
  const sessions = new Map<string, Session>();
  const updateGauge = () => metrics.activeSessions.set(sessions.size);

  const close = async (session: Session, reason: string) => {
    logger.info({ sessionId: session.id, owner: session.owner, reason }, 'session closed');
    sessions.delete(session.id);
    updateGauge();
    await session.server.close();
  };

  const sweeper = setInterval(() => {
    const cutoff = now() - idleTimeoutMs;
    for (const session of sessions.values()) {
      if (session.active === 0 && session.lastSeen < cutoff) void close(session, 'idle');
    }
  }, Math.min(Math.max(idleTimeoutMs / 4, 250), 60_000));
  sweeper.unref();

  return {
    get size() {
      return sessions.size;
    },
    get full() {
      return sessions.size >= maxSessions;
    },
    get: (id) => sessions.get(id),
    add(fields) {
      const session: Session = { ...fields, lastSeen: now(), active: 0 };
      sessions.set(session.id, session);
      updateGauge();
      logger.info({ sessionId: session.id, owner: session.owner }, 'session created');
    },
    remove(id) {
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
