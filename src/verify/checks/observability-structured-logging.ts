import { randomBytes } from 'node:crypto';
import { checklistItem, conclude, type Check, type CheckOutcome, type Finding, type LiveContext } from '../check.js';
import { samLogRetentionFindings, samTemplate } from '../readers/sam.js';
import { ENV_EXAMPLE, envExample } from '../readers/env.js';
import {
  APP_FILE,
  balancedArgs,
  declarationOf,
  findAll,
  findFirst,
  middlewareWiring,
  sources,
} from '../readers/source.js';
import { notStartedByVerify, requireReachable } from '../runtime/context.js';
import { rpc, sleep } from '../runtime/http.js';
import { postMcp, withMcpSession } from '../runtime/mcp.js';
import { servedEras, servedList } from '../runtime/eras.js';

const LOGGER_FILE = 'src/observability/logger.ts';

export const observabilityStructuredLogging: Check = {
  item: checklistItem('observability.structured-logging'),
  live: probeLogs,
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const code = await sources(ctx);

    const pinoImport = findFirst(code, /from\s+['"]pino['"]|require\(\s*['"]pino['"]\s*\)/);
    if (!pinoImport) {
      failures.push({
        message: 'No pino logger in src/: logs are not JSON lines',
        from: 'source-text',
        file: LOGGER_FILE,
        remediation: `Create the logger with pino in ${LOGGER_FILE} (JSON to stdout, redact secrets).`,
      });
    } else {
      const file = code.find((candidate) => candidate.file === pinoImport.file);
      const calls = file ? findAll([file], /\bpino\s*\(/) : [];
      const options = calls.map(
        (call) => balancedArgs(file?.code ?? '', (file?.code ?? '').indexOf('(', call.index)) ?? '',
      );
      const redact = options.find((args) => /\bredact\b/.test(args));
      if (calls.length === 0) {
        failures.push({
          message: `${pinoImport.file} imports pino but never creates a logger`,
          from: 'source-text',
          file: pinoImport.file,
          line: pinoImport.line,
          remediation: `Create the logger with pino({ ... }) in ${pinoImport.file}.`,
        });
      } else if (!redact) {
        failures.push({
          message: `The pino logger in ${pinoImport.file} has no redact option: credentials in headers end up in the logs`,
          from: 'source-text',
          file: pinoImport.file,
          line: calls[0]?.line,
          remediation: `Pass redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', ...], censor: '[redacted]' } to pino() in ${pinoImport.file}.`,
        });
      } else if (!/authorization/i.test(withDeclarations(file?.code ?? '', redact))) {
        failures.push({
          message: `The pino redact list in ${pinoImport.file} does not cover the Authorization header`,
          from: 'source-text',
          file: pinoImport.file,
          line: calls[0]?.line,
          remediation: `Add the authorization header path to redact in ${pinoImport.file}.`,
        });
      }
    }

    const requestId = await middlewareWiring(ctx, /request-?id/i);
    if (!requestId.usedIn) {
      failures.push({
        message: 'No request-id middleware used in the app: log lines of one request cannot be correlated',
        from: 'source-text',
        file: APP_FILE,
        remediation: `Use a request-id middleware (src/middleware/request-id.ts: honour or generate X-Request-Id, bind it to a child logger) in ${APP_FILE}.`,
      });
    }

    for (const call of findAll(code, /\bconsole\.(?:log|info|warn|error|debug)\s*\(/)) {
      warnings.push({
        message: `console output in ${call.file} is not structured JSON`,
        file: call.file,
        line: call.line,
        remediation: `Log through the pino logger instead of console in ${call.file}.`,
      });
    }
    const env = await envExample(ctx);
    if (env && !env.has('LOG_LEVEL')) {
      warnings.push({
        message: `LOG_LEVEL is not listed in ${ENV_EXAMPLE}`,
        file: ENV_EXAMPLE,
        remediation: `Add LOG_LEVEL=info to ${ENV_EXAMPLE}.`,
      });
    }

    const sam = await samTemplate(ctx);
    if (sam) warnings.push(...samLogRetentionFindings(sam));
    return conclude('pino JSON logs with secret redaction and a request id on every line', { failures, warnings });
  },
};

/** The redact option plus the constants it names (e.g. `paths: REDACTED_PATHS`). */
function withDeclarations(code: string, options: string): string {
  const names = [...options.matchAll(/\b([A-Za-z_$][\w$]*)\b/g)].map((match) => match[1] as string);
  return [options, ...names.map((name) => declarationOf(code, name) ?? '')].join('\n');
}

/** Keys that carry a request id in a log line, at the top level or under `req`. */
const REQUEST_ID_KEYS = ['requestId', 'reqId', 'request_id', 'requestID', 'traceId', 'trace_id'];

/**
 * Sends a canary token where secrets travel (a bearer token, an API-key header, a cookie and a
 * tool argument), then reads everything the process printed: every line must be a JSON object,
 * request lines must carry a request id, and neither the canary nor a configured secret may appear.
 */
export async function probeLogs(ctx: LiveContext): Promise<CheckOutcome> {
  const local = ctx.local;
  if (!local) return notStartedByVerify(ctx, 'Reading the logs');
  await requireReachable(ctx);
  const canary = `mcpcanary${randomBytes(12).toString('hex')}`;
  const remediationSecrets =
    'Redact credentials in src/observability/logger.ts (pino `redact` for req.headers.authorization, x-api-key, cookie) and never log tool arguments verbatim.';

  await postMcp(ctx, rpc(1, 'tools/list'), { authorization: `Bearer ${canary}` }, false);
  await postMcp(ctx, rpc(2, 'tools/list'), { 'x-api-key': canary, cookie: `session=${canary}` }, false);
  // The canary goes into a tool call in every era the server serves.
  const served = servedList(await servedEras(ctx));
  for (const era of served.length > 0 ? served : (['legacy'] as const)) {
    await withMcpSession(
      ctx,
      async (session) => {
        if (!session.ok) return;
        const echo = session.session.tools.find((tool) => tool.name === 'echo');
        const request = echo
          ? session.session.request(3, 'tools/call', { name: 'echo', arguments: { text: canary } })
          : session.session.request(3, 'tools/list', { cursor: canary });
        await postMcp(ctx, request.body, {
          ...session.session.sessionHeaders,
          ...request.headers,
          cookie: `session=${canary}`,
        });
      },
      era,
    );
  }
  // pino writes asynchronously: give the last lines a moment to arrive.
  await sleep(300);

  const { stdout, stderr } = local.main.output();
  const lines = `${stdout}\n${stderr}`.split('\n').filter((line) => line.trim() !== '');
  const failures: Finding[] = [];
  if (lines.length === 0) {
    failures.push({
      message: 'The server printed no log lines while serving the probes',
      remediation:
        'Log every request as a JSON line to stdout (pino, access log middleware in src/middleware/access-log.ts).',
    });
  }
  const parsed: Record<string, unknown>[] = [];
  const notJson: string[] = [];
  for (const line of lines) {
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        parsed.push(value as Record<string, unknown>);
      else notJson.push(line);
    } catch {
      notJson.push(line);
    }
  }
  if (notJson.length > 0) {
    failures.push({
      message: `${notJson.length} of ${lines.length} log lines are not JSON objects, e.g. ${JSON.stringify(clip(notJson[0] as string))}`,
      remediation:
        'Write every log line as one JSON object (pino to stdout; no console.log, no pretty printer in production).',
    });
  }
  const withId = parsed.filter(hasRequestId);
  if (parsed.length > 0 && withId.length === 0) {
    failures.push({
      message: 'No log line carries a request id: requests cannot be followed through the logs',
      remediation: 'Bind a request id to a child logger per request (src/middleware/request-id.ts) and log through it.',
    });
  }
  const leaked = lines.filter((line) => line.includes(canary));
  if (leaked.length > 0) {
    failures.push({
      message: `A canary token sent as a credential or argument appears in ${leaked.length} log line(s), e.g. ${JSON.stringify(clip(redactIn(leaked[0] as string, canary)))}`,
      remediation: remediationSecrets,
    });
  }
  const secretLines = lines.filter((line) => local.secrets.some((secret) => line.includes(secret)));
  if (secretLines.length > 0) {
    failures.push({
      message: `The configured credential appears in ${secretLines.length} log line(s)`,
      remediation: remediationSecrets,
    });
  }
  return conclude(
    `${lines.length} log lines, all JSON, ${withId.length} with a request id; the canary token and the credentials never appear`,
    { failures },
  );
}

function hasRequestId(line: Record<string, unknown>): boolean {
  const req = line.req as Record<string, unknown> | undefined;
  return (
    REQUEST_ID_KEYS.some((key) => typeof line[key] === 'string' && line[key] !== '') ||
    (typeof req === 'object' && req !== null && (typeof req.id === 'string' || typeof req.id === 'number'))
  );
}

function clip(line: string): string {
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

function redactIn(line: string, secret: string): string {
  return line.split(secret).join('<canary>');
}
