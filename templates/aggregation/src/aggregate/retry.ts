import { SdkHttpError } from '@modelcontextprotocol/client';
import { classify } from './outcome.js';

export interface RetryOptions {
  /** Attempts in total, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  signal?: AbortSignal;
  /** Injected in tests. */
  random?: () => number;
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
}

/**
 * What a working backend answered will be its answer the next time: an error it returned (JSON-RPC
 * `error`), an answer the SDK refused (an invalid result, a list cut off at its page limit), a 4xx
 * (bad credentials, bad request, unknown route). Repeating those only adds load. Network errors,
 * timeouts, a backend the gateway cannot reach, 5xx and 429 are transient and worth retrying.
 */
export function isRetryable(error: unknown): boolean {
  if (classify(error) === 'error') return false;
  const status = httpStatus(error);
  if (status === undefined) return true;
  return status === 429 || status === 408 || status >= 500;
}

function httpStatus(error: unknown): number | undefined {
  if (error instanceof SdkHttpError && error.status >= 400 && error.status < 600) return error.status;
  const match = /\bHTTP (\d{3})\b/.exec(String((error as Error | undefined)?.message ?? ''));
  return match ? Number(match[1]) : undefined;
}

/** The exponential backoff of an attempt (0 for the first retry), capped. */
export function cappedBackoff(attempt: number, { baseDelayMs, maxDelayMs }: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
}

/** Full jitter: a random delay up to the capped exponential backoff, so clients never retry in lockstep. */
export function backoffDelay(attempt: number, { random = Math.random, ...backoff }: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const jitter = random();
  return Math.round(jitter * cappedBackoff(attempt, backoff));
}

/**
 * Runs `operation` until it succeeds, fails with an error that is not retryable, or `maxAttempts`
 * is reached. Use it only for operations that are safe to repeat (connect, list), never tool calls.
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt + 1 >= options.maxAttempts || !isRetryable(error) || options.signal?.aborted) throw error;
      const delayMs = backoffDelay(attempt, options);
      options.onRetry?.(attempt + 1, delayMs, error);
      await sleep(delayMs, options.signal);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
