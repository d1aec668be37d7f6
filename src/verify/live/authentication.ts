import { conclude, type CheckOutcome, type Finding, type LiveContext } from '../check.js';
import { toolInfo } from '../../core/tool-info.js';
import { requireReachable } from './context.js';
import { hasCredentials, initializeBody, probe, type ProbeResponse } from './http.js';
import { LATEST_PROTOCOL_VERSION, postMcp } from './mcp.js';

/** A bearer token no deployment issues: a server that accepts it does not check tokens. */
const FORGED_TOKEN = 'mcp-arch-verify.invalid-token';

/**
 * Every method on the MCP endpoint must refuse a caller without credentials with 401 and a
 * Bearer challenge, so a client can discover how to authenticate; a made-up token must fare
 * no better. With `--header` credentials, they must get past authentication.
 */
export async function probeAuthentication(ctx: LiveContext): Promise<CheckOutcome> {
  await requireReachable(ctx);
  const failures: Finding[] = [];
  const warnings: Finding[] = [];
  const remediation = 'Authenticate every method on the MCP endpoint (POST, GET, DELETE): answer 401 with `WWW-Authenticate: Bearer resource_metadata="..."` when credentials are missing or invalid.';
  const initialize = initializeBody(1, LATEST_PROTOCOL_VERSION, toolInfo().version);

  const anonymous: [string, ProbeResponse][] = [
    ['POST', await postMcp(ctx, initialize, {}, false)],
    ['GET', await probe(ctx, ctx.mcpUrl, { method: 'GET', headers: { accept: 'text/event-stream' }, credentials: false })],
    ['DELETE', await probe(ctx, ctx.mcpUrl, { method: 'DELETE', headers: { 'mcp-session-id': 'mcp-arch-verify-unknown-session' }, credentials: false })],
  ];
  for (const [method, response] of anonymous) {
    if (method === 'POST' && response.status >= 200 && response.status < 300) {
      failures.push({ message: `The server needs no authentication: initialize without credentials answered ${response.status}`, remediation });
    } else if (response.status !== 401) {
      failures.push({ message: `${method} ${pathOf(ctx.mcpUrl)} without credentials answered ${response.status}, not 401`, remediation });
    } else if (!/^\s*Bearer\b/i.test(response.headers.get('www-authenticate') ?? '')) {
      failures.push({ message: `${method} ${pathOf(ctx.mcpUrl)} answered 401 without a Bearer WWW-Authenticate challenge`, remediation });
    }
  }

  const forged = await postMcp(ctx, initialize, { authorization: `Bearer ${FORGED_TOKEN}` }, false);
  if (forged.status !== 401) {
    failures.push({ message: `initialize with a made-up bearer token answered ${forged.status}, not 401`, remediation: 'Verify every token (signature, issuer, audience, expiry, or the API key list) and answer 401 when it does not check out.' });
  }

  // Only a project verify started can be given a token it must refuse: verify signed it itself.
  const wrongAudience = ctx.local?.wrongAudienceToken;
  if (wrongAudience) {
    const response = await postMcp(ctx, initialize, { authorization: `Bearer ${wrongAudience}` }, false);
    if (response.status !== 401) {
      failures.push({ message: `initialize with a correctly signed token for another audience answered ${response.status}, not 401`, remediation: 'Check the audience of every token against JWT_AUDIENCE (jwtVerify with `audience` in src/auth/jwt.ts): a token minted for another service must not work here.' });
    }
  }

  if (hasCredentials(ctx)) {
    const authenticated = await postMcp(ctx, initialize);
    if (authenticated.status === 401 || authenticated.status === 403) {
      warnings.push({ message: `The credentials given with --header were refused (${authenticated.status}): probes that need them could not get past authentication`, remediation: 'Pass a valid credential, e.g. --header "Authorization: Bearer <token>".' });
    }
  }
  return conclude(`POST, GET and DELETE without credentials, and a made-up token${wrongAudience ? ', and a token for another audience' : ''}, all get 401 with a Bearer challenge`, { failures, warnings });
}

function pathOf(url: string): string {
  return new URL(url).pathname;
}
