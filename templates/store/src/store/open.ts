import { throttledWarning, type Logger } from '../observability/logger.js';
import { withResilience } from './resilient.js';
import type { SessionStore } from './session-store.js';

/** A service that is down fails every reconnect attempt: one line per 30 s is enough to notice. */
export function serviceWarning(logger: Logger | undefined, service: string): (error: unknown) => void {
  return throttledWarning(logger, 'session store service error (repeats within 30 s are not logged)', { service }).warn;
}

/** Calls to a store's services go through a circuit breaker, and safe ones are retried briefly. */
export function resilient(store: SessionStore, name: string, logger: Logger | undefined): SessionStore {
  return withResilience(store, name, {
    onStateChange: (state) =>
      state === 'open'
        ? logger?.warn({ store: name }, 'session store circuit breaker open: failing fast until a probe succeeds')
        : logger?.info({ store: name, state }, 'session store circuit breaker'),
  });
}
