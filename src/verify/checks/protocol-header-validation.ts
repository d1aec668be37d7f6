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
import { jsonRpcErrorCode, jsonRpcMessages } from '../runtime/http.js';
import { eraRequest, postMcp } from '../runtime/mcp.js';

/** The JSON-RPC error MCP 2026-07-28 answers a header that disagrees with the body with (HeaderMismatch). */
export const HEADER_MISMATCH = -32020;

/** A tool no server has: a server that ignores the headers answers "unknown tool", and nothing runs. */
const ABSENT_TOOL = 'mcp-arch-verify-absent-tool';

interface MismatchCase {
  /** What is wrong with the request, for findings. */
  what: string;
  method: string;
  params: Record<string, unknown>;
  /** Replaces (or, with `undefined`, removes) the routing headers a correct request carries. */
  headers: Record<string, string | undefined>;
}

const CASES: readonly MismatchCase[] = [
  {
    what: 'Mcp-Method prompts/list on a tools/list body',
    method: 'tools/list',
    params: {},
    headers: { 'mcp-method': 'prompts/list' },
  },
  { what: 'no Mcp-Method header', method: 'tools/list', params: {}, headers: { 'mcp-method': undefined } },
  {
    what: `Mcp-Name naming another tool than the tools/call body (${ABSENT_TOOL})`,
    method: 'tools/call',
    params: { name: ABSENT_TOOL, arguments: {} },
    headers: { 'mcp-name': 'mcp-arch-verify-other-tool' },
  },
  {
    what: `MCP-Protocol-Version ${ERA_VERSION.legacy} on a body whose _meta names ${ERA_VERSION.modern}`,
    method: 'tools/list',
    params: {},
    headers: { 'mcp-protocol-version': ERA_VERSION.legacy },
  },
];

export const protocolHeaderValidation: Check = {
  item: checklistItem('protocol.header-validation'),
  live: probeHeaderValidation,
  async static() {
    return notApplicable(
      'Proven live only: whether the server refuses routing headers that disagree with the body shows in its answers (verify --live)',
    );
  },
};

function request(method: string, params: Record<string, unknown>, change: MismatchCase['headers'] = {}) {
  const { body, headers } = eraRequest('modern', 1, method, params);
  const sent: Record<string, string> = { ...headers };
  for (const [name, value] of Object.entries(change)) {
    if (value === undefined) delete sent[name];
    else sent[name] = value;
  }
  return { body, headers: sent };
}

/**
 * MCP 2026-07-28 requests whose routing headers disagree with the body (or lack Mcp-Method) must
 * be refused with 400 and -32020, so a proxy that routes on the headers sees what the server
 * runs. The same request with matching headers must be served, or the refusals prove nothing.
 */
export async function probeHeaderValidation(ctx: LiveContext): Promise<CheckOutcome> {
  await requireReachable(ctx);
  const modern = (await servedEras(ctx)).modern;
  if (!modern.served) {
    if (/\b401\b|unauthori[sz]ed/i.test(modern.reason))
      return skipped(`MCP ${ERA_VERSION.modern} could not be reached without credentials: pass them with --header`);
    return notApplicable(
      `The server does not serve MCP ${ERA_VERSION.modern} (${modern.reason}): there are no routing headers to check`,
    );
  }
  const control = request('tools/list', {});
  const served = await postMcp(ctx, control.body, control.headers);
  const listed = jsonRpcMessages(served.body).some((message) => 'result' in message);
  if (served.status === 401 || served.status === 403)
    return skipped(`A correct tools/list was refused with ${served.status}: pass credentials with --header`);
  if (served.status !== 200 || !listed)
    return skipped(
      `A tools/list with matching routing headers was not served (HTTP ${served.status}), so refusals could not be told apart from a broken endpoint`,
    );

  const failures: Finding[] = [];
  for (const mismatch of CASES) {
    const { body, headers } = request(mismatch.method, mismatch.params, mismatch.headers);
    const answer = await postMcp(ctx, body, headers);
    const code = jsonRpcErrorCode(answer.body);
    if (answer.status === 400 && code === HEADER_MISMATCH) continue;
    failures.push({
      message: `A request with ${mismatch.what} answered HTTP ${answer.status}${code === undefined ? ' without a JSON-RPC error' : ` with JSON-RPC error ${code}`}, not 400 with ${HEADER_MISMATCH} (HeaderMismatch)`,
      remediation:
        'Check Mcp-Method, Mcp-Name and MCP-Protocol-Version against the body before dispatching (createMcpHandler from @modelcontextprotocol/server does), and answer a mismatch with HTTP 400 and JSON-RPC error -32020.',
    });
  }
  return conclude(
    `${CASES.length} requests whose routing headers disagree with the body (or lack Mcp-Method) were refused with 400 and ${HEADER_MISMATCH}; the same tools/list with matching headers was served`,
    { failures },
  );
}
