/**
 * A fetch for MCP client transports. The SDK's Streamable HTTP client passes one long-lived
 * AbortSignal (aborted on close) to every request of a session. Node 22's fetch adds an abort
 * listener to that signal per request and drops it only when the request is garbage-collected,
 * so a busy session logs "MaxListenersExceededWarning: ... abort listeners added to
 * [AbortSignal]" after 1,500 calls. Here each request gets a signal of its own that follows the
 * session's: `AbortSignal.any` links them weakly, so nothing piles up on the session's signal,
 * and closing the session still aborts every request in flight.
 */
export function withOwnSignal(fetchFn: typeof fetch = fetch): typeof fetch {
  return (input, init) => fetchFn(input, init?.signal ? { ...init, signal: AbortSignal.any([init.signal]) } : init);
}
