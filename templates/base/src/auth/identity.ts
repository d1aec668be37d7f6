import type { AuthInfo } from '@modelcontextprotocol/server';

/** Who is calling. `id` is safe to log and to key sessions and rate limits by: it is never a secret. */
export interface Identity {
  id: string;
  kind: 'anonymous' | 'apikey' | 'jwt';
  /** Handed to the SDK so tool handlers can see who called (`extra.authInfo`). */
  authInfo?: AuthInfo;
}

export const ANONYMOUS: Identity = { id: 'anonymous', kind: 'anonymous' };

export interface Verifier {
  kind: 'apikey' | 'jwt';
  /** Scopes every credential must carry (RFC 6750 `insufficient_scope` otherwise); empty for API keys. */
  requiredScopes: readonly string[];
  /** Resolves to the caller's identity, or undefined when the credential is not valid. */
  verify(token: string): Promise<Identity | undefined>;
}

/** The credential could not be checked (e.g. the JWKS endpoint is down): not the caller's fault. */
export class VerifierUnavailableError extends Error {
  override name = 'VerifierUnavailableError';
}
