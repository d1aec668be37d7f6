import { checklistItem, conclude, type Check, type CheckOutcome, type Finding, type LiveContext } from '../check.js';
import { samTemplate, samThrottlingFindings } from '../readers/sam.js';
import { ENV_EXAMPLE, envExample } from '../readers/env.js';
import { replicas } from '../readers/replicas.js';
import { APP_FILE, middlewareWiring } from '../readers/source.js';
import { requireReachable } from '../runtime/context.js';
import { MCP_POST_HEADERS, probe, retryAfterMs, rpc, sleep, type ProbeResponse } from '../runtime/http.js';
import { authGate, behindAuthentication } from './security-authentication.js';

export const securityRateLimiting: Check = {
  item: checklistItem('security.rate-limiting'),
  live: probeRateLimiting,
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const env = await envExample(ctx);
    const rps = env?.get('RATE_LIMIT_RPS');
    if (!rps) {
      failures.push({
        message: `RATE_LIMIT_RPS is not listed in ${ENV_EXAMPLE}`,
        file: ENV_EXAMPLE,
        remediation: `Add RATE_LIMIT_RPS=<requests per second per client> to ${ENV_EXAMPLE}.`,
      });
    } else if (!(Number(rps.value) > 0)) {
      failures.push({
        message: `RATE_LIMIT_RPS in ${ENV_EXAMPLE} is "${rps.value}": no limit applies`,
        file: ENV_EXAMPLE,
        line: rps.line,
        remediation: `Set RATE_LIMIT_RPS to a positive number in ${ENV_EXAMPLE}.`,
      });
    }

    const wiring = await middlewareWiring(ctx, /rate/i);
    if (!wiring.module) {
      failures.push({
        message: 'No rate-limit middleware in src/middleware/',
        from: 'source-text',
        file: 'src/middleware/rate-limit.ts',
        remediation: 'Add src/middleware/rate-limit.ts (429 with Retry-After) and use it on /mcp in src/app.ts.',
      });
    } else {
      const { file, code } = wiring.module;
      if (!wiring.usedIn) {
        failures.push({
          message: `${file} is not used in ${APP_FILE}: no request is ever limited`,
          from: 'source-text',
          file: APP_FILE,
          remediation: `Import the rate limiter from ${file} and app.use() it on /mcp in ${APP_FILE}.`,
        });
      }
      if (!/\b429\b/.test(code)) {
        failures.push({
          message: `${file} never answers 429`,
          from: 'source-text',
          file,
          remediation: `Answer 429 Too Many Requests when the limit is exceeded in ${file}.`,
        });
      }
      if (!/retry-after/i.test(code)) {
        failures.push({
          message: `${file} sends no Retry-After: clients retry immediately and keep hitting the limit`,
          from: 'source-text',
          file,
          remediation: `Send Retry-After (seconds) with every 429 in ${file}.`,
        });
      }
      if (/x-forwarded-for/i.test(code) && !/trust/i.test(code)) {
        warnings.push({
          message: `${file} keys limits on X-Forwarded-For without a trusted-proxy setting: rotating the header bypasses the limit`,
          file,
          line: await ctx.lineOf(file, /x-forwarded-for/i),
          remediation: `Key limits on the authenticated identity or the socket address in ${file}; read X-Forwarded-For only from a configured trusted proxy.`,
        });
      }
    }

    const instances = await replicas(ctx);
    // Functions keep nothing between invocations: their limits are the platform's (checked in template.yaml below).
    if (instances.max > 1 && ctx.manifest.store === 'memory' && !ctx.manifest.instances.perInvocation) {
      warnings.push({
        message: `Limits are kept in memory while several instances run (${instances.evidence.join('; ')}): the effective limit is multiplied by the replica count`,
        remediation:
          'Keep rate-limit counters in the shared store (regenerate with --store redis or --store database, which share limits across replicas).',
      });
    }

    const sam = await samTemplate(ctx);
    if (sam) failures.push(...samThrottlingFindings(sam));
    return conclude(
      `Rate limiting wired in ${APP_FILE} at ${rps?.value ?? '?'} requests/s per client, 429 with Retry-After`,
      { failures, warnings },
    );
  },
};

/** Upper bounds of the burst: enough to exhaust any sane per-client limit, never a load test. */
const BURST_MAX_REQUESTS = 200;
const BURST_MAX_MS = 10_000;
const CONCURRENCY = 10;
const SPOOFED = 5;
/** Longest pause after the probe so the checks that follow are not throttled. */
const MAX_COOL_DOWN_MS = 5_000;

/**
 * A bounded burst of cheap authenticated requests must end in 429 with Retry-After, and a
 * client rotating X-Forwarded-For must stay limited: otherwise anyone can reset their limit.
 */
export async function probeRateLimiting(ctx: LiveContext): Promise<CheckOutcome> {
  await requireReachable(ctx);
  // A burst that authentication refuses never reaches the limiter: no verdict either way.
  const gate = await authGate(ctx);
  if (gate.refused) return behindAuthentication(gate, 'the rate limiter');
  const failures: Finding[] = [];
  const remediation =
    'Rate-limit the MCP endpoint per client (token bucket on the authenticated identity, or the socket address), answering 429 with Retry-After.';
  let sequence = 0;
  const cheap = (headers: Record<string, string> = {}) =>
    probe(ctx, ctx.mcpUrl, {
      method: 'POST',
      headers: { ...MCP_POST_HEADERS, ...headers },
      body: rpc(`verify-${++sequence}`, 'ping'),
      retryRateLimited: false,
    });

  const started = Date.now();
  let sent = 0;
  let limited: ProbeResponse | undefined;
  const statuses = new Map<number, number>();
  while (!limited && sent < BURST_MAX_REQUESTS && Date.now() - started < BURST_MAX_MS) {
    const batch = Math.min(CONCURRENCY, BURST_MAX_REQUESTS - sent);
    sent += batch;
    const responses = await Promise.all(Array.from({ length: batch }, () => cheap()));
    for (const response of responses) statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    limited = responses.find((response) => response.status === 429);
  }

  if (!limited) {
    const seen = [...statuses.entries()].map(([status, count]) => `${count}× ${status}`).join(', ');
    if ([...statuses.keys()].every((status) => status === 401 || status === 403)) {
      return {
        status: 'skip',
        summary: `All ${sent} requests were refused (${seen}): the burst never reached the rate limiter; pass credentials with --header that the server accepts`,
        findings: [],
      };
    }
    return conclude('', {
      failures: [
        {
          message: `No 429 after ${sent} requests in ${Date.now() - started} ms (${seen}): the endpoint is not rate-limited`,
          remediation,
        },
      ],
    });
  }

  const retryAfter = limited.headers.get('retry-after');
  if (retryAfterMs(retryAfter) === undefined) {
    failures.push({
      message: `429 came without a usable Retry-After header${retryAfter ? ` (got ${JSON.stringify(retryAfter)})` : ''}`,
      remediation: 'Send Retry-After (whole seconds) with every 429 so clients know when to come back.',
    });
  }

  // Spoofed and plain requests go out interleaved in one batch, so tokens that refill meanwhile (a slow
  // machine, a shared store) fall to both alike. A bypass gives every spoofed address a fresh bucket:
  // all of them get through while the plain ones stay limited.
  const mixed = await Promise.all(
    Array.from({ length: SPOOFED * 2 }, (_, index) =>
      index % 2 === 0
        ? cheap({ 'x-forwarded-for': `203.0.113.${10 + index}`, 'x-real-ip': `203.0.113.${10 + index}` })
        : cheap(),
    ),
  );
  const through = (parity: number) =>
    mixed.filter((response, index) => index % 2 === parity && response.status !== 429).length;
  const spoofedThrough = through(0);
  const plainThrough = through(1);
  if (spoofedThrough === SPOOFED && spoofedThrough - plainThrough >= 2) {
    failures.push({
      message: `Rotating X-Forwarded-For reset the limit: ${spoofedThrough} of ${SPOOFED} spoofed requests got through while ${plainThrough} of ${SPOOFED} plain ones sent beside them did`,
      remediation:
        'Key the limit on the authenticated identity or the socket address; trust X-Forwarded-For only from your own proxies (TRUST_PROXY hops).',
    });
  }

  await sleep(Math.min(MAX_COOL_DOWN_MS, retryAfterMs(retryAfter) ?? 1_000));
  return conclude(
    `429 with Retry-After ${retryAfter ?? '?'} after ${sent} requests; rotating X-Forwarded-For does not reset it`,
    { failures },
  );
}
