/**
 * A stand-in authorization server for trying AUTH_MODE=jwt locally: it serves a JWKS on
 * loopback and prints a token it signed, with the JWT_* settings that accept that token.
 * Its key lives in memory and dies with it, so nothing it signs outlives it. Not for production.
 *
 *   npx tsx scripts/dev-token.ts [--port 4455] [--audience http://127.0.0.1:3000/mcp] [--subject dev-user] [--ttl 3600]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface DevIssuer {
  /** The values to give the server: JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE. */
  settings: { JWT_JWKS_URL: string; JWT_ISSUER: string; JWT_AUDIENCE: string };
  /** A token for `subject`, valid for `ttlSeconds` (a negative number gives an expired one). */
  token(options?: { subject?: string; ttlSeconds?: number }): Promise<string>;
  close(): Promise<void>;
}

/** Starts the JWKS endpoint on 127.0.0.1:`port` (0: any free port). */
export async function startDevIssuer({ port = 0, audience }: { port?: number; audience: string }): Promise<DevIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = 'dev-token';
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] });
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/.well-known/jwks.json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${origin}/`;
  return {
    settings: { JWT_JWKS_URL: `${origin}/.well-known/jwks.json`, JWT_ISSUER: issuer, JWT_AUDIENCE: audience },
    token: ({ subject = 'dev-user', ttlSeconds = 3600 } = {}) =>
      new SignJWT({ scope: 'mcp' })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4455' },
      audience: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? '3000'}/mcp` },
      subject: { type: 'string', default: 'dev-user' },
      ttl: { type: 'string', default: '3600' },
    },
  });
  const port = Number(values.port);
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: expected a port number (got ${values.port})`);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new UsageError(`--ttl: expected a number of seconds (got ${values.ttl})`);
  const issuer = await startDevIssuer({ port, audience: values.audience }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use; pick another with --port`);
    throw error;
  });
  for (const [name, value] of Object.entries(issuer.settings)) process.stdout.write(`${name}=${value}\n`);
  process.stdout.write(`TOKEN=${await issuer.token({ subject: values.subject, ttlSeconds })}\n`);
  process.stderr.write('Serving the JWKS until Ctrl-C: start the server with the JWT_* lines above, send "Authorization: Bearer $TOKEN".\n');
  const stop = () => void issuer.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

class UsageError extends Error {}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`dev-token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}
