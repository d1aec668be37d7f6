import type { SharedSessionStore } from '../mcp/sessions.js';
import type { ClosableRateLimitStore } from '../rate-limit/store.js';

/** A session store as start() uses it: the MCP session registry's view, plus readiness and shutdown. */
export interface StartedSessionStore extends SharedSessionStore {
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the instances of this project share, opened once at start (src/state/open.ts): the
 * session store, and the rate limit buckets when several instances serve one limit.
 * Absent parts live in this process.
 */
export interface SharedState {
  sessionStore?: StartedSessionStore;
  rateLimitStore?: ClosableRateLimitStore;
}
