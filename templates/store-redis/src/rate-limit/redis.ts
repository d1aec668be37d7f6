import { Redis } from 'ioredis';
import { throttledWarning, type Logger } from '../observability/logger.js';
import { memoryTokenBucket } from './memory.js';
import type { ClosableRateLimitStore, RateLimitDecision, RateLimitStore } from './store.js';

/**
 * One token bucket per key in a Redis hash, updated by a Lua script so that a read, refill and
 * take from several replicas can never interleave. Time comes from the Redis server (TIME), so
 * replicas whose clocks differ still agree on how many tokens have been refilled (TIME before a
 * write needs script effects replication: Redis 5 or newer).
 *
 * KEYS[1] bucket; ARGV rate per second, burst. Returns { allowed (0|1), milliseconds until a token }.
 */
export const TOKEN_BUCKET_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
end
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
-- A bucket left alone refills completely after burst / rate seconds; then it may as well not exist.
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return { allowed, wait }
`;

/** The commands the bucket needs; ioredis' `Redis` fits. */
export interface RedisScripting {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  script(subcommand: 'LOAD', script: string): Promise<unknown>;
}

export interface RedisTokenBucketOptions {
  client: RedisScripting;
  ratePerSecond: number;
  burst: number;
  /** Prefix of the bucket keys, so several apps can share one Redis. */
  prefix?: string;
  /** Told when Redis fails; the request is then judged by a bucket in this process. */
  onError?: (error: unknown) => void;
}

/**
 * Buckets shared by every replica through Redis, so N replicas allow one limit, not N.
 * While Redis is unreachable each replica falls back to its own in-memory bucket: limits
 * loosen to per-instance for that time instead of failing every request.
 */
export function redisTokenBucket({ client, ratePerSecond, burst, prefix = 'mcp:', onError = () => {} }: RedisTokenBucketOptions): RateLimitStore {
  const fallback = memoryTokenBucket({ ratePerSecond, burst });
  let sha: string | undefined;

  const run = async (key: string): Promise<unknown> => {
    sha ??= String(await client.script('LOAD', TOKEN_BUCKET_SCRIPT));
    try {
      return await client.evalsha(sha, 1, key, ratePerSecond, burst);
    } catch (error) {
      // The script cache is empty after a Redis restart or failover: send the script itself once.
      if (!/NOSCRIPT/.test(String(error))) throw error;
      return client.eval(TOKEN_BUCKET_SCRIPT, 1, key, ratePerSecond, burst);
    }
  };

  return {
    async take(key): Promise<RateLimitDecision> {
      try {
        const [allowed, waitMs] = (await run(`${prefix}ratelimit:${key}`)) as [number, number];
        return allowed === 1 ? { allowed: true, retryAfterSeconds: 0 } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
      } catch (error) {
        sha = undefined;
        onError(error);
        return fallback.take(key);
      }
    },
  };
}

export interface OpenRedisRateLimitOptions {
  url: string;
  ratePerSecond: number;
  burst: number;
  prefix?: string;
  logger: Logger;
}

/**
 * Connects to Redis. Commands fail fast while Redis is down (no offline queue), so a request is
 * never held waiting for it; the fallback bucket answers instead.
 */
export async function openRedisTokenBucket({ url, ratePerSecond, burst, prefix, logger }: OpenRedisRateLimitOptions): Promise<ClosableRateLimitStore> {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
    connectTimeout: 2000,
    // Reconnect with capped backoff and jitter: replicas that lost Redis together do not return in lockstep.
    retryStrategy: (attempt: number) => reconnectDelay(attempt),
  });
  const { warn } = throttledWarning(logger, 'shared rate limit store failed: limiting per instance until Redis answers (repeats within 30 s are not logged)');
  client.on('error', warn);
  // Commands before the first connection would fail (no offline queue): wait for it, boundedly.
  await new Promise<void>((resolve) => {
    if (client.status === 'ready') return resolve();
    const timer = setTimeout(resolve, 2000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', done);
    client.once('error', done);
  });
  const store = redisTokenBucket({ client, ratePerSecond, burst, prefix, onError: warn });
  return {
    take: (key) => store.take(key),
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** Delay before reconnect attempt `attempt` (1, 2, ...): half of a capped exponential step, plus up to as much at random. */
function reconnectDelay(attempt: number): number {
  const step = Math.min(2000, 100 * 2 ** Math.min(attempt, 5));
  return step / 2 + Math.random() * (step / 2);
}
