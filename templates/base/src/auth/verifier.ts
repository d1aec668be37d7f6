import type { AuthConfig } from '../config.js';
import { apiKeyVerifier } from './api-key.js';
import type { Verifier } from './identity.js';
import { jwtVerifier } from './jwt.js';

/** The verifier for AUTH_MODE; undefined when authentication is off. */
export function createVerifier(auth: AuthConfig): Verifier | undefined {
  switch (auth.mode) {
    case 'none':
      return undefined;
    case 'apikey':
      return apiKeyVerifier(auth.apiKeys);
    case 'jwt':
      return jwtVerifier(auth);
  }
}
