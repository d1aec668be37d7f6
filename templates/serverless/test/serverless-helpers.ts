import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createLogger, type Logger } from '../src/observability/logger.js';

export const API_KEY = 'function-key-0123456789abcdef';
export const ALLOWED_ORIGIN = 'https://app.example.com';
export const ISSUER = 'https://auth.example.test/';
export const AUDIENCE = 'https://mcp.example.test/mcp';

/** A logger whose JSON lines the test can read. */
export function capturedLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void chunks.push(line) });
  return {
    logger,
    lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export interface Jwks {
  url: string;
  /** How many times the JWKS was fetched. */
  hits(): number;
  token(claims?: { aud?: string; exp?: string }): Promise<string>;
  close(): Promise<void>;
}

/** An authorization server's JWKS endpoint on loopback, and tokens signed with its key. */
export async function startJwks(): Promise<Jwks> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const sign = (key: CryptoKey, { aud = AUDIENCE, exp = '5m' }: { aud?: string; exp?: string } = {}) =>
    new SignJWT({ scope: 'tools:call' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(aud)
      .setSubject('user-1')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(key);
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    hits: () => hits,
    token: (claims) => sign(privateKey, claims),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
