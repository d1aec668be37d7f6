export interface RateLimitDecision {
  allowed: boolean;
  /** Whole seconds until a request would be allowed again; 0 when allowed. */
  retryAfterSeconds: number;
}

/**
 * Where buckets live. The in-memory store limits per instance; with several replicas a
 * shared store (Redis, or the session database) implements the same interface so the limit
 * holds across them.
 */
export interface RateLimitStore {
  take(key: string): Promise<RateLimitDecision>;
}

/** A shared store with its own connection; `close` ends it. */
export interface ClosableRateLimitStore extends RateLimitStore {
  close(): Promise<void>;
}
