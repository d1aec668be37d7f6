import type { Component } from './types.js';

/**
 * JWT authentication's local stand-in for an authorization server: a script that serves a JWKS
 * on loopback and prints a token it signed with the `JWT_*` settings that accept it. Projects on
 * API keys or without auth never run it, so they do not ship it.
 */
export const authJwt: Component = {
  id: 'auth-jwt',
  templates: ['auth-jwt'],
  layout: {
    'scripts/dev-token.ts': 'a local JWKS and a signed test token for AUTH_MODE=jwt',
  },
};
