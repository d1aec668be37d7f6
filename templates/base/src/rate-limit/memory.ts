import type { RateLimitDecision, RateLimitStore } from './store.js';

export interface TokenBucketOptions {
  /** Tokens added per second: the sustained rate. */
  ratePerSecond: number;
  /** Bucket size: how many requests may arrive at once. */
  burst: number;
  /** Bounds memory under many distinct clients; the least recently seen are forgotten first. */
  maxKeys?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export function memoryTokenBucket({ ratePerSecond, burst, maxKeys = 100_000, now = Date.now }: TokenBucketOptions): RateLimitStore {
  const buckets = new Map<string, Bucket>();
  return {
    async take(key): Promise<RateLimitDecision> {
      const at = now();
      const previous = buckets.get(key);
      const elapsedSeconds = previous ? Math.max(0, at - previous.updatedAt) / 1000 : 0;
      const tokens = previous ? Math.min(burst, previous.tokens + elapsedSeconds * ratePerSecond) : burst;
      // Re-inserting keeps the Map in least-recently-used order for eviction.
      buckets.delete(key);
      if (tokens >= 1) {
        buckets.set(key, { tokens: tokens - 1, updatedAt: at });
        evict();
        return { allowed: true, retryAfterSeconds: 0 };
      }
      buckets.set(key, { tokens, updatedAt: at });
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / ratePerSecond)) };
    },
  };

  function evict() {
    for (const key of buckets.keys()) {
      if (buckets.size <= maxKeys) return;
      buckets.delete(key);
    }
  }
}
