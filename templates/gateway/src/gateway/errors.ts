import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { AggregateErrorCode } from '../aggregate/index.js';

/** The code of a backend that did not answer in time (`timeoutMs` of the servers file). */
export const BACKEND_TIMEOUT = AggregateErrorCode.BackendTimeout;

/**
 * What the client gets for a failed request. A backend's JSON-RPC error passes on exactly as the
 * backend sent it (code, message, data); the gateway's own failures say what failed without a
 * stack or internal detail.
 */
export function toWireError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  return new ProtocolError(ProtocolErrorCode.InternalError, `Gateway error: ${error instanceof Error ? error.message : String(error)}`);
}
