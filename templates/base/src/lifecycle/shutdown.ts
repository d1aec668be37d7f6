import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.js';
import type { InflightTracker } from './inflight.js';
import type { Readiness } from './readiness.js';

export interface ShutdownOptions {
  readiness: Readiness;
  inflight: InflightTracker;
  /** Stops accepting connections; resolves once every connection has closed. */
  stopAccepting: () => Promise<void>;
  /** Closes kept-alive connections as soon as they carry no request; called once in-flight work is done. */
  closeIdleConnections: () => void;
  /** Released in order after in-flight requests finished: sessions, exporters, stores. */
  closers: Array<{ name: string; close: () => Promise<void> }>;
  /** Time to keep serving after readiness turned 503, so load balancers stop routing here first. */
  delayMs: number;
  /** Hard limit for the whole drain. */
  timeoutMs: number;
  logger: Logger;
}

/**
 * Graceful shutdown: readiness 503, (optional delay), stop accepting, let in-flight requests
 * finish, close sessions and exporters. Resolves true when that completed within the time
 * limit, false when the limit was hit: the caller then exits non-zero.
 */
export function createShutdown(options: ShutdownOptions): (reason: string) => Promise<boolean> {
  let running: Promise<boolean> | undefined;
  return (reason) => {
    running ??= drain(options, reason);
    return running;
  };
}

async function drain(
  { readiness, inflight, stopAccepting, closeIdleConnections, closers, delayMs, timeoutMs, logger }: ShutdownOptions,
  reason: string,
): Promise<boolean> {
  const started = performance.now();
  logger.info({ reason, inflight: inflight.count, delayMs, timeoutMs }, 'shutdown: draining');
  readiness.startDraining();

  const steps = async () => {
    if (delayMs > 0) await sleep(delayMs);
    const closed = stopAccepting();
    await inflight.idle();
    for (const { name, close } of closers) {
      try {
        await close();
      } catch (error) {
        logger.error({ err: error, closer: name }, 'shutdown: close failed');
      }
    }
    closeIdleConnections();
    await closed;
    return true;
  };

  const timer = new AbortController();
  const deadline = sleep(timeoutMs, false, { signal: timer.signal }).catch(() => false);
  const clean = await Promise.race([
    steps().catch((error: unknown) => {
      logger.error({ err: error }, 'shutdown: drain failed');
      return false;
    }),
    deadline,
  ]);
  timer.abort();
  const durationMs = Math.round(performance.now() - started);
  if (clean) logger.info({ durationMs }, 'shutdown: complete');
  else logger.error({ durationMs, inflight: inflight.count }, 'shutdown: timed out while draining');
  return clean;
}
