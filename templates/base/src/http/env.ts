import type { Identity } from '../auth/identity.js';
import type { Logger } from '../observability/logger.js';

/** Per-request values the middleware chain hands to later middleware and handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    identity?: Identity;
    /** The request body, read once and size-checked by the body-limit middleware. */
    body?: Uint8Array;
    /** Set for responses that stay open indefinitely (the GET SSE stream); draining does not wait for them. */
    longLived?: boolean;
  };
}

/**
 * How an instance names itself where a deployment runs it in several places (src/http/instance.ts):
 * a header on every answer, errors included, fields of /health, and default labels of every metric.
 */
export interface InstanceIdentity {
  headers: Record<string, string>;
  health: Record<string, string>;
  labels: Record<string, string>;
}
