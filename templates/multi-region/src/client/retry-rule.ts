import type { ToolAnnotations } from '@modelcontextprotocol/client';

/** When a failed call may be repeated in another region. */
export type RetryPolicy =
  /** By the rule of `mayRepeat`: only when it cannot have run, or repeating it changes nothing. */
  | 'safe'
  /** Every call is repeated: only for servers whose every tool is safe to run twice. */
  | 'always'
  /** No call is repeated after it may have reached a region; one that surely did not still moves on. */
  | 'never';

/** A request as the rule sees it. */
export interface RepeatCandidate {
  /** The JSON-RPC method, e.g. `tools/call` or `tools/list`. */
  method: string;
  /** For `tools/call`: the tool's annotations, as the server lists them (undefined when unknown). */
  annotations?: ToolAnnotations;
}

/** Methods that read and change nothing: repeating one anywhere gives the same kind of answer. */
const READS = new Set(['tools/list', 'resources/list', 'resources/templates/list', 'resources/read', 'prompts/list', 'prompts/get', 'completion/complete', 'ping']);

/**
 * The rule for repeating a request in another region after its region failed:
 *
 * 1. a request that surely never reached the server (refused connection, unknown host, a 503
 *    answered before processing, a 2025 session the region no longer knows) may always be sent again;
 * 2. a read (`tools/list`, `resources/read`, `prompts/get`, ...) may always be sent again;
 * 3. a tool call may be sent again only when the server annotates the tool `readOnlyHint: true`
 *    or `idempotentHint: true`: running it twice leaves the same state as running it once;
 * 4. anything else that may have reached the server (a tool without those annotations, an unknown
 *    tool) is never sent again: it fails with `RegionCallError`, and the caller decides.
 *
 * Annotations are hints of the server: they are trusted here because every region runs this
 * project's own server. `policy` overrides the rule: `always` repeats everything, `never` only
 * what surely did not run.
 */
export function mayRepeat(request: RepeatCandidate, reached: boolean, policy: RetryPolicy = 'safe'): boolean {
  if (!reached) return true;
  if (policy === 'always') return true;
  if (policy === 'never') return false;
  if (READS.has(request.method)) return true;
  if (request.method === 'tools/call') return request.annotations?.readOnlyHint === true || request.annotations?.idempotentHint === true;
  return false;
}

/** Why `mayRepeat` said no, for the error the caller sees. */
export function refusal(request: RepeatCandidate, policy: RetryPolicy): string {
  if (policy === 'never') return 'retries are off (retry: never)';
  if (request.method === 'tools/call') {
    return request.annotations ? 'the tool is not annotated readOnlyHint or idempotentHint' : 'the tool is not listed by the server, so nothing says it is safe to repeat';
  }
  return `${request.method} is not a read`;
}
