import { SessionStoreUnavailableError, systemClock, type Clock, type SessionStore } from './session-store.js';

export interface ResilienceOptions {
  /** Consecutive failures that open the circuit breaker. */
  failureThreshold?: number;
  /** How long an open breaker fails calls at once before letting one probe through (half-open). */
  coolDownMs?: number;
  /** Attempts per idempotent operation, the first included. */
  maxAttempts?: number;
  /** Backoff before the n-th retry: random in [0, min(maxDelayMs, baseDelayMs * 2 ** n)] (full jitter). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  now?: Clock;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told when the breaker changes state. */
  onStateChange?: (state: BreakerState) => void;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Circuit breaker: closed while the dependency answers; open after `failureThreshold` consecutive
 * failures, failing every call at once (requests get a quick 503 instead of each waiting for a
 * timeout, and the dependency is not hammered while it recovers); after `coolDownMs` half-open,
 * letting one probe through: success closes it, failure opens it again.
 */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly failureThreshold: number;
  private readonly coolDownMs: number;
  private readonly now: Clock;
  private readonly onStateChange: (state: BreakerState) => void;

  constructor(private readonly name: string, { failureThreshold = 5, coolDownMs = 5000, now = systemClock, onStateChange = () => {} }: ResilienceOptions = {}) {
    this.failureThreshold = failureThreshold;
    this.coolDownMs = coolDownMs;
    this.now = now;
    this.onStateChange = onStateChange;
  }

  get current(): BreakerState {
    return this.state;
  }

  async run<T>(operation: () => Promise<T>, isFailure: (error: unknown) => boolean): Promise<T> {
    if (this.state === 'open') {
      const waited = this.now() - this.openedAt;
      if (waited < this.coolDownMs) throw this.openError(this.coolDownMs - waited);
      this.transition('half-open');
    }
    // Half-open: exactly one call probes the dependency; the others still fail fast.
    if (this.state === 'half-open') {
      if (this.probing) throw this.openError(0);
      this.probing = true;
    }
    try {
      const result = await operation();
      this.failures = 0;
      if (this.state !== 'closed') this.transition('closed');
      return result;
    } catch (error) {
      if (isFailure(error)) {
        this.failures += 1;
        if (this.state === 'half-open' || this.failures >= this.failureThreshold) {
          this.openedAt = this.now();
          this.transition('open');
        }
      }
      throw error;
    } finally {
      this.probing = false;
    }
  }

  private transition(state: BreakerState): void {
    this.state = state;
    this.onStateChange(state);
  }

  private openError(retryInMs: number): SessionStoreUnavailableError {
    return new SessionStoreUnavailableError(this.name, new Error(`circuit breaker open after ${this.failures} consecutive failures; next probe in ${Math.ceil(retryInMs / 1000)} s`));
  }
}

/** Only an unreachable service is worth another attempt; a duplicate id or a bug never is. */
const transient = (error: unknown) => error instanceof SessionStoreUnavailableError;

/**
 * A store whose calls go through a circuit breaker, and whose idempotent operations (get, touch,
 * delete, listByUser, purgeExpired) are retried on transient failures with capped, jittered
 * exponential backoff, a few attempts at most. `create` is not retried: a first attempt that
 * reached the store but lost its answer would make the retry fail as a duplicate. `ping` bypasses
 * the breaker so readiness always reports the service itself.
 */
export function withResilience(store: SessionStore, name: string, options: ResilienceOptions = {}): SessionStore {
  const { maxAttempts = 3, baseDelayMs = 20, maxDelayMs = 200, random = () => Math.random(), sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) } = options;
  const breaker = new CircuitBreaker(name, options);

  const once = <T>(operation: () => Promise<T>) => breaker.run(operation, transient);
  const withRetries = async <T>(operation: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await once(operation);
      } catch (error) {
        // An open breaker is not retried: failing fast is its purpose.
        if (!transient(error) || attempt >= maxAttempts || breaker.current !== 'closed') throw error;
        await sleep(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt));
      }
    }
  };

  return {
    create: (session) => once(() => store.create(session)),
    get: (sessionId) => withRetries(() => store.get(sessionId)),
    touch: (sessionId) => withRetries(() => store.touch(sessionId)),
    delete: (sessionId) => withRetries(() => store.delete(sessionId)),
    listByUser: (userId) => withRetries(() => store.listByUser(userId)),
    purgeExpired: () => withRetries(() => store.purgeExpired()),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
