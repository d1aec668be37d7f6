import type { ServerEventBus } from '@modelcontextprotocol/server';
import type { SharedSessionStore } from '../mcp/sessions.js';
import type { ClosableRateLimitStore } from '../rate-limit/store.js';

/** A session store as start() uses it: the MCP session registry's view, plus readiness and shutdown. */
export interface StartedSessionStore extends SharedSessionStore {
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A `ServerEventBus` over a service the instances share; `close()` ends its connections. */
export interface ClosableServerEventBus extends ServerEventBus {
  close(): Promise<void>;
}

/**
 * What the instances of this project share, opened once at start (src/state/open.ts): the
 * session store, the rate limit buckets when several instances serve one limit, and the bus
 * that carries `subscriptions/listen` change events to the instances holding the streams.
 * Absent parts live in this process (change events then go through an in-process bus).
 */
export interface SharedState {
  sessionStore?: StartedSessionStore;
  rateLimitStore?: ClosableRateLimitStore;
  eventBus?: ClosableServerEventBus;
}
