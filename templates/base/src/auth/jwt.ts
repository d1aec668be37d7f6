import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { VerifierUnavailableError, type Verifier } from './identity.js';

export interface JwtVerifierOptions {
  jwksUrl: URL;
  issuer: string;
  audience: string;
  requiredScopes?: readonly string[];
}

/**
 * Verifies bearer JWTs against the authorization server's JWKS (fetched and cached by
 * jose, refetched on an unknown `kid`), requiring this server as audience.
 */
export function jwtVerifier({ jwksUrl, issuer, audience, requiredScopes = [] }: JwtVerifierOptions): Verifier {
  const jwks = createRemoteJWKSet(jwksUrl, { timeoutDuration: 5000, cooldownDuration: 30_000 });
  return {
    kind: 'jwt',
    requiredScopes,
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, jwks, { issuer, audience, clockTolerance: 5 });
        if (!payload.sub) return undefined;
        const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : payload.sub;
        const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
        return {
          id: `jwt:${payload.sub}`,
          kind: 'jwt',
          authInfo: { token, clientId, scopes, expiresAt: payload.exp, extra: { sub: payload.sub } },
        };
      } catch (error) {
        if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
          throw new VerifierUnavailableError('cannot fetch the JWKS', { cause: error });
        }
        return undefined;
      }
    },
  };
}
