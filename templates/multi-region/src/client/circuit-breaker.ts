import type { Clock } from './clock.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures (calls or probes) that open the breaker. */
  failureThreshold: number;
  /** First cool-down once open; doubled after each failed half-open test, up to maxCoolDownMs. */
  coolDownMs: number;
  maxCoolDownMs: number;
  clock: Clock;
  /** In [0, 1); jitter keeps many clients from testing a recovering region in lockstep. */
  random: () => number;
}

/**
 * The circuit breaker the client keeps per region. Closed: the region is probed and used.
 * Open: it is skipped entirely, no probes and no sessions, so a dead region costs nothing.
 * Half-open after the cool-down: one health probe or session attempt tests it; success closes
 * the breaker, failure opens it again for longer (capped exponential backoff with jitter).
 */
export class CircuitBreaker {
  private failures = 0;
  private opened = 0;
  private openUntil = 0;
  private current: BreakerState = 'closed';

  constructor(private readonly options: CircuitBreakerOptions) {}

  get state(): BreakerState {
    if (this.current === 'open' && this.options.clock.now() >= this.openUntil) this.current = 'half-open';
    return this.current;
  }

  /** Whether the region may be probed or tried now. */
  get allowsRequest(): boolean {
    return this.state !== 'open';
  }

  /** Milliseconds until an open breaker lets a test through. */
  get retryInMs(): number {
    return this.state === 'open' ? Math.max(0, this.openUntil - this.options.clock.now()) : 0;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.opened = 0;
    this.current = 'closed';
  }

  recordFailure(): void {
    this.failures += 1;
    if (this.state === 'half-open' || this.failures >= this.options.failureThreshold) this.open();
  }

  private open(): void {
    const { coolDownMs, maxCoolDownMs, clock, random } = this.options;
    const backoff = Math.min(maxCoolDownMs, coolDownMs * 2 ** this.opened);
    this.opened += 1;
    // Between half and all of the backoff: spread out, never longer than the cap.
    this.openUntil = clock.now() + backoff * (0.5 + random() / 2);
    this.current = 'open';
  }
}
