import { MANIFEST_FILE } from '../../core/manifest.js';
import { checklistItem, conclude, type Check, type CheckOutcome, type Finding, type LiveContext } from '../check.js';
import { samSecretFindings, samTemplate } from '../readers/sam.js';
import { configuredValues, ENV_EXAMPLE, envExample } from '../readers/env.js';
import { APP_FILE, balancedArgs, findAll, findFirst, middlewareWiring, sources } from '../readers/source.js';
import { toolInfo } from '../../core/tool-info.js';
import { requireReachable } from '../runtime/context.js';
import { hasCredentials, initializeBody, probe, type ProbeResponse } from '../runtime/http.js';
import { LATEST_PROTOCOL_VERSION, postMcp } from '../runtime/mcp.js';

export const securityAuthentication: Check = {
  item: checklistItem('security.authentication'),
  live: probeAuthentication,
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const env = await envExample(ctx);
    const mode = env?.get('AUTH_MODE');
    if (!mode) {
      failures.push({
        message: `AUTH_MODE is not listed in ${ENV_EXAMPLE}`,
        file: ENV_EXAMPLE,
        remediation: `Add AUTH_MODE=apikey (or jwt) to ${ENV_EXAMPLE}.`,
      });
    } else if (mode.value === '' || mode.value === 'none') {
      failures.push({
        message: `AUTH_MODE in ${ENV_EXAMPLE} is "${mode.value || 'empty'}": anyone who reaches the server can call its tools`,
        file: ENV_EXAMPLE,
        line: mode.line,
        remediation: `Set AUTH_MODE=apikey (with API_KEYS) or AUTH_MODE=jwt (with JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE) in ${ENV_EXAMPLE}.`,
      });
    }
    if (ctx.manifest.authMode === 'none') {
      failures.push({
        message: `"authMode" in ${MANIFEST_FILE} is none`,
        file: MANIFEST_FILE,
        line: await ctx.lineOf(MANIFEST_FILE, '"authMode"'),
        remediation: 'Regenerate with --auth apikey or jwt, or set AUTH_MODE and "authMode" accordingly.',
      });
    }
    for (const setting of await configuredValues(ctx, 'AUTH_MODE')) {
      if (setting.value === 'none') {
        failures.push({
          message: `AUTH_MODE is none in ${setting.file}`,
          file: setting.file,
          line: setting.line,
          remediation: `Set AUTH_MODE to apikey or jwt in ${setting.file}.`,
        });
      }
    }
    const keys = env?.get('API_KEYS');
    if (keys && keys.value !== '') {
      warnings.push({
        message: `${ENV_EXAMPLE} ships a value for API_KEYS: copied example files end up in real deployments`,
        file: ENV_EXAMPLE,
        line: keys.line,
        remediation: `Leave API_KEYS empty in ${ENV_EXAMPLE}; provide keys from a secret store.`,
      });
    }

    const code = await sources(ctx);
    const noneDefault = findFirst(
      code,
      /AUTH_MODE[^\n;]*(?:\?\?|\|\|)\s*['"]none['"]|AUTH_MODE[^\n]*\.default\(\s*['"]none['"]\s*\)/,
    );
    if (noneDefault) {
      failures.push({
        message: 'AUTH_MODE defaults to none in code when unset',
        from: 'source-text',
        file: noneDefault.file,
        line: noneDefault.line,
        remediation: `Default AUTH_MODE to apikey (refusing to start without API_KEYS) in ${noneDefault.file}.`,
      });
    }

    const wiring = await middlewareWiring(ctx, /auth/i);
    if (!wiring.module) {
      failures.push({
        message: 'No authentication middleware in src/middleware/',
        from: 'source-text',
        file: 'src/middleware/auth.ts',
        remediation:
          'Add src/middleware/auth.ts (API keys or JWT via JWKS, 401 with WWW-Authenticate) and use it on /mcp in src/app.ts.',
      });
    } else {
      const { file, code: authCode } = wiring.module;
      if (!wiring.usedIn) {
        failures.push({
          message: `${file} is not used in ${APP_FILE}: requests reach the tools unauthenticated`,
          from: 'source-text',
          file: APP_FILE,
          remediation: `Import the auth middleware from ${file} and app.use() it on the /mcp route in ${APP_FILE}.`,
        });
      }
      if (!/\b401\b/.test(authCode)) {
        failures.push({
          message: `${file} never answers 401`,
          from: 'source-text',
          file,
          remediation: `Reject missing or invalid credentials with 401 in ${file}.`,
        });
      }
      if (!/www-authenticate/i.test(authCode)) {
        failures.push({
          message: `${file} sends no WWW-Authenticate header: MCP clients cannot discover how to authenticate`,
          from: 'source-text',
          file,
          remediation: `Send WWW-Authenticate (Bearer, with resource_metadata for JWT) with every 401 in ${file}.`,
        });
      }
    }
    for (const call of findAll(code, /\bjwtVerify\s*\(/)) {
      const callCode = code.find((candidate) => candidate.file === call.file)?.code ?? '';
      const args = balancedArgs(callCode, callCode.indexOf('(', call.index)) ?? '';
      for (const claim of ['audience', 'issuer']) {
        if (!new RegExp(`\\b${claim}\\b`).test(args)) {
          failures.push({
            message: `jwtVerify does not check the token ${claim}: tokens minted for other services are accepted`,
            file: call.file,
            line: call.line,
            remediation: `Pass ${claim} (from JWT_${claim === 'audience' ? 'AUDIENCE' : 'ISSUER'}) to jwtVerify in ${call.file}.`,
          });
        }
      }
    }

    const sam = await samTemplate(ctx);
    if (sam) failures.push(...samSecretFindings(sam));
    return conclude(
      `Authentication wired in ${APP_FILE}, AUTH_MODE defaults to ${mode?.value || '?'}; 401 carries WWW-Authenticate`,
      { failures, warnings },
    );
  },
};

/** A bearer token no deployment issues: a server that accepts it does not check tokens. */
const FORGED_TOKEN = 'mcp-arch-verify.invalid-token';

/**
 * Every method on the MCP endpoint must refuse a caller without credentials with 401 and a
 * Bearer challenge, so a client can discover how to authenticate; a made-up token must fare
 * no better. Whether the `--header` credentials got past it is `authGate`'s question.
 */
export async function probeAuthentication(ctx: LiveContext): Promise<CheckOutcome> {
  await requireReachable(ctx);
  const failures: Finding[] = [];
  const remediation =
    'Authenticate every method on the MCP endpoint (POST, GET, DELETE): answer 401 with `WWW-Authenticate: Bearer resource_metadata="..."` when credentials are missing or invalid.';
  const initialize = initializeBody(1, LATEST_PROTOCOL_VERSION, toolInfo().version);

  const anonymous: [string, ProbeResponse][] = [
    ['POST', await postMcp(ctx, initialize, {}, false)],
    [
      'GET',
      await probe(ctx, ctx.mcpUrl, { method: 'GET', headers: { accept: 'text/event-stream' }, credentials: false }),
    ],
    [
      'DELETE',
      await probe(ctx, ctx.mcpUrl, {
        method: 'DELETE',
        headers: { 'mcp-session-id': 'mcp-arch-verify-unknown-session' },
        credentials: false,
      }),
    ],
  ];
  for (const [method, response] of anonymous) {
    if (method === 'POST' && response.status >= 200 && response.status < 300) {
      failures.push({
        message: `The server needs no authentication: initialize without credentials answered ${response.status}`,
        remediation,
      });
    } else if (response.status !== 401) {
      failures.push({
        message: `${method} ${pathOf(ctx.mcpUrl)} without credentials answered ${response.status}, not 401`,
        remediation,
      });
    } else if (!/^\s*Bearer\b/i.test(response.headers.get('www-authenticate') ?? '')) {
      failures.push({
        message: `${method} ${pathOf(ctx.mcpUrl)} answered 401 without a Bearer WWW-Authenticate challenge`,
        remediation,
      });
    }
  }

  const forged = await postMcp(ctx, initialize, { authorization: `Bearer ${FORGED_TOKEN}` }, false);
  if (forged.status !== 401) {
    failures.push({
      message: `initialize with a made-up bearer token answered ${forged.status}, not 401`,
      remediation:
        'Verify every token (signature, issuer, audience, expiry, or the API key list) and answer 401 when it does not check out.',
    });
  }

  // Only a project verify started can be given a token it must refuse: verify signed it itself.
  const wrongAudience = ctx.local?.wrongAudienceToken;
  if (wrongAudience) {
    const response = await postMcp(ctx, initialize, { authorization: `Bearer ${wrongAudience}` }, false);
    if (response.status !== 401) {
      failures.push({
        message: `initialize with a correctly signed token for another audience answered ${response.status}, not 401`,
        remediation:
          'Check the audience of every token against JWT_AUDIENCE (jwtVerify with `audience` in src/auth/jwt.ts): a token minted for another service must not work here.',
      });
    }
  }

  // Credentials the server refuses are not a weakness of its authentication: the report states
  // them as an outcome of their own (`mode.credentials`), and the run does not exit 0.
  return conclude(
    `POST, GET and DELETE without credentials, and a made-up token${wrongAudience ? ', and a token for another audience' : ''}, all get 401 with a Bearer challenge`,
    { failures },
  );
}

function pathOf(url: string): string {
  return new URL(url).pathname;
}

/** What the server made of the credentials verify sends (`--header`, or the ones it configured itself). */
export interface AuthGate {
  /** Whether any credentials were sent. */
  given: boolean;
  /** True when the request was answered 401 or 403: probes past authentication cannot run. */
  refused: boolean;
  /** The HTTP status of the answer. */
  status: number;
}

/** The `once` key of the credentials probe. */
export const AUTH_GATE = 'auth-gate';

/**
 * One initialize with the credentials and no Origin header, asked once per run: a 401 or 403 here
 * is authentication speaking, so a probe whose own request would be refused the same way cannot
 * tell its property apart from the refusal and must skip rather than judge.
 */
export function authGate(ctx: LiveContext): Promise<AuthGate> {
  return ctx.once(AUTH_GATE, async () => {
    const response = await postMcp(ctx, initializeBody(0, LATEST_PROTOCOL_VERSION, toolInfo().version));
    return {
      given: hasCredentials(ctx),
      refused: response.status === 401 || response.status === 403,
      status: response.status,
    };
  });
}

/** Why `what` could not be probed behind a refusing gate: credentials refused, or none given. */
export function behindAuthentication(gate: AuthGate, what: string): CheckOutcome {
  const summary = gate.given
    ? `The credentials given with --header were refused (initialize without Origin answered ${gate.status}): ${what} could not be reached; pass valid credentials`
    : `initialize without credentials answered ${gate.status}: pass credentials with --header so the probe reaches ${what}`;
  return { status: 'skip', summary, findings: [] };
}
