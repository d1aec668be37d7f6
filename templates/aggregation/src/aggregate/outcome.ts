import { ProtocolError, SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import { isConnectionFailure } from './connection.js';

/** JSON-RPC error codes of the aggregation layer (server-defined range). */
export const AggregateErrorCode = {
  /** The backend is down or its circuit breaker is open: fail fast instead of waiting. */
  BackendUnavailable: -32010,
  /** The backend did not answer within its `timeoutMs` (the code 2025-era SDKs used for a timeout). */
  BackendTimeout: -32001,
} as const;

export type CallOutcome = 'success' | 'error' | 'timeout' | 'unavailable' | 'cancelled';

/** How a failed request ended: answered by the backend ('error'), or a failure of the backend. */
export function classify(error: unknown): CallOutcome {
  if ((error as Error | undefined)?.name === 'AbortError') return 'cancelled';
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) return 'timeout';
  if (error instanceof ProtocolError) {
    if (error.code === AggregateErrorCode.BackendTimeout) return 'timeout';
    if (error.code === AggregateErrorCode.BackendUnavailable) return 'unavailable';
    return 'error';
  }
  // An answer the SDK refused locally (an invalid result, an unsupported result type) came from a working backend.
  if (error instanceof SdkError && !isConnectionFailure(error)) return 'error';
  return 'unavailable';
}
