import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config.js';

export type { Logger };

/** Anything that may carry a credential, wherever it ends up in a log object. */
export const REDACTED_PATHS = [
  'authorization',
  'apiKey',
  'token',
  'password',
  'secret',
  '*.authorization',
  '*.apiKey',
  '*.token',
  '*.password',
  '*.secret',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'authInfo.token',
];

/**
 * JSON lines on stdout (or the given stream), one object per event, credentials censored.
 * Writes are synchronous so the last lines (a fatal error, the end of a shutdown) are never
 * lost when the process exits right after them.
 */
export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination({ dest: 1, sync: true })): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

/**
 * A warning logged at most once per interval: a dependency that is down fails every request or
 * reconnect, and one line per 30 s says so. `reset()` lets the next failure log at once (after a
 * recovery).
 */
export function throttledWarning(logger: Logger | undefined, message: string, fields: Record<string, unknown> = {}, intervalMs = 30_000) {
  let last = -Infinity;
  return {
    warn(error: unknown): void {
      const at = performance.now();
      if (at - last < intervalMs) return;
      last = at;
      logger?.warn({ err: error, ...fields }, message);
    },
    reset(): void {
      last = -Infinity;
    },
  };
}
