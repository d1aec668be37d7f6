import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevIssuer, type DevIssuer } from '../scripts/dev-token.js';
import { INITIALIZE, mcpPost, startServer, type TestServer } from './helpers.js';

/** The README's local JWT flow: the server started with the settings scripts/dev-token.ts prints accepts its token. */
describe('scripts/dev-token.ts', () => {
  let issuer: DevIssuer;
  let server: TestServer;

  beforeAll(async () => {
    // The audience is the server's own /mcp URL, known once it listens: start it first with a placeholder issuer.
    issuer = await startDevIssuer({ audience: 'http://127.0.0.1/mcp' });
    server = await startServer({ AUTH_MODE: 'jwt', ...issuer.settings });
  });

  afterAll(async () => {
    await server?.close();
    await issuer?.close();
  });

  it('prints settings the server accepts, and a token it accepts', async () => {
    const response = await mcpPost(server.mcpUrl, INITIALIZE, { authorization: `Bearer ${await issuer.token()}` });
    expect(response.status).toBe(200);
  });

  it('signs tokens only it can vouch for: an expired or absent token is refused', async () => {
    expect((await mcpPost(server.mcpUrl, INITIALIZE)).status).toBe(401);
    const expired = await issuer.token({ ttlSeconds: -60 });
    expect((await mcpPost(server.mcpUrl, INITIALIZE, { authorization: `Bearer ${expired}` })).status).toBe(401);
  });
});
