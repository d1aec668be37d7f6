import { createHash, timingSafeEqual } from 'node:crypto';
import type { Identity, Verifier } from './identity.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Compares SHA-256 digests in constant time against every configured key, so neither the
 * key length nor the position of a match shows in the response time.
 */
export function apiKeyVerifier(apiKeys: string[]): Verifier {
  const digests = apiKeys.map(digest);
  return {
    kind: 'apikey',
    requiredScopes: [],
    async verify(token) {
      const candidate = digest(token);
      let match: Buffer | undefined;
      for (const known of digests) {
        if (timingSafeEqual(known, candidate)) match = known;
      }
      if (!match) return undefined;
      const id = `key:${match.toString('hex').slice(0, 12)}`;
      const identity: Identity = { id, kind: 'apikey', authInfo: { token, clientId: id, scopes: [] } };
      return identity;
    },
  };
}
