import { randomUUID } from 'node:crypto';
import { MANIFEST_FILE } from '../../core/manifest.js';
import {
  checklistItem,
  conclude,
  notApplicable,
  skipped,
  type Check,
  type CheckOutcome,
  type Finding,
  type LiveContext,
} from '../check.js';
import { requireReachable } from '../runtime/context.js';
import { ERA_VERSION, servedEras } from '../runtime/eras.js';
import { probe, type ProbeResponse } from '../runtime/http.js';

export const protocolHttpMethods: Check = {
  item: checklistItem('protocol.http-methods'),
  live: probeHttpMethods,
  async static() {
    return notApplicable(
      'Proven live only: what GET and DELETE on the MCP endpoint answer shows in the answers themselves (verify --live)',
    );
  },
};

/** What the endpoint promises for GET and DELETE. */
type Leg = 'stateless' | 'sessionful';

const METHODS = ['GET', 'DELETE'] as const;

/**
 * MCP 2026-07-28 is POST only (no session to end, no standalone stream), and so is a stateless
 * 2025 leg: GET and DELETE get 405 with `Allow: POST`. A sessionful 2025 leg answers them for a
 * session only: 400 without `Mcp-Session-Id`, 404 for a session it does not know. Without a
 * project, a server that serves the 2025 era may do either, so only a modern-only one is judged.
 */
export async function probeHttpMethods(ctx: LiveContext): Promise<CheckOutcome> {
  await requireReachable(ctx);
  const eras = await servedEras(ctx);
  if (!eras.modern.served && !eras.legacy.served) {
    return skipped('The server serves no protocol era (see protocol.eras): its HTTP methods cannot be judged');
  }
  const manifest = ctx.project?.manifest;
  if (!manifest && eras.legacy.served) {
    // The 2025 era lets a server offer a GET stream and session ends, or refuse them: only the project says which.
    return notApplicable(
      `Without ${MANIFEST_FILE}, what GET and DELETE should answer on a server that serves the 2025 era depends on its session leg: run verify with the project`,
    );
  }
  const leg: Leg =
    manifest && (manifest.protocol ?? 'dual') === 'dual' && manifest.sessionMode === 'stateful'
      ? 'sessionful'
      : 'stateless';
  if (leg === 'sessionful' && !eras.legacy.served) {
    return notApplicable('The sessionful 2025 leg is not served (see protocol.eras): no session methods to check');
  }

  const send = (method: string, headers: Record<string, string> = {}) =>
    probe(ctx, ctx.mcpUrl, {
      method,
      headers: {
        accept: method === 'GET' ? 'text/event-stream' : 'application/json, text/event-stream',
        'mcp-protocol-version': eras.legacy.served ? ERA_VERSION.legacy : ERA_VERSION.modern,
        ...headers,
      },
    });
  const failures: Finding[] = [];
  const warnings: Finding[] = [];
  const seen: string[] = [];
  for (const method of METHODS) {
    const bare = await send(method);
    if (bare.status === 401 || bare.status === 403)
      return skipped(`${method} was refused with ${bare.status} before reaching MCP: pass credentials with --header`);
    const statelessAnswer = bare.status === 405;
    if (leg === 'stateless') {
      seen.push(`${method} ${bare.status}`);
      if (!statelessAnswer) {
        failures.push({
          message: `${method} on the MCP endpoint answered ${bare.status}, not 405: the endpoint serves no session and no standalone stream`,
          remediation: `Answer ${method} with 405 and Allow: POST (createMcpHandler does for MCP ${ERA_VERSION.modern} and the stateless 2025 leg).`,
        });
      } else if (!/\bPOST\b/i.test(bare.headers.get('allow') ?? '')) {
        warnings.push({
          message: `${method} answered 405 without Allow: POST`,
          remediation: 'Send Allow: POST with every 405 (RFC 9110 requires the Allow header on 405).',
        });
      }
      continue;
    }
    // The sessionful leg: only a known session may be streamed or ended.
    const unknown = await send(method, { 'mcp-session-id': randomUUID() });
    seen.push(`${method} ${bare.status} without a session, ${unknown.status} for an unknown one`);
    failures.push(...sessionFindings(method, bare, unknown));
  }
  return conclude(`${seen.join('; ')}, as ${describeLeg(leg)} promises`, { failures, warnings });
}

function sessionFindings(method: string, bare: ProbeResponse, unknown: ProbeResponse): Finding[] {
  const out: Finding[] = [];
  const remediation = `Route 2025-era ${method} requests to the sessionful leg (isLegacyRequest, then the session's transport): 400 without Mcp-Session-Id, 404 for a session that does not exist.`;
  if (bare.status !== 400)
    out.push({
      message: `${method} without Mcp-Session-Id answered ${bare.status}, not 400 (there is no session to act on)`,
      remediation,
    });
  if (unknown.status !== 404)
    out.push({
      message: `${method} with an unknown Mcp-Session-Id answered ${unknown.status}, not 404 (a client must learn its session is gone and initialize again)`,
      remediation,
    });
  return out;
}

function describeLeg(leg: Leg): string {
  switch (leg) {
    case 'sessionful':
      return 'the sessionful 2025 leg';
    case 'stateless':
      return `an endpoint without sessions (MCP ${ERA_VERSION.modern}, stateless 2025 leg)`;
  }
}
