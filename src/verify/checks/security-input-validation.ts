import { checklistItem, conclude, type Check, type CheckOutcome, type Finding, type LiveContext } from '../check.js';
import {
  APP_FILE,
  balancedArgs,
  findAll,
  importsOf,
  isReferenced,
  middlewareWiring,
  sourceFile,
  sources,
} from '../readers/source.js';
import { requireReachable } from '../runtime/context.js';
import { GATEWAY_CONFIG_FILE } from './resilience-circuit-breakers.js';
import { authGate, behindAuthentication } from './security-authentication.js';
import {
  hasStackTrace,
  jsonRpcErrorCode,
  jsonRpcMessages,
  rpc,
  UnreachableError,
  type ProbeResponse,
} from '../runtime/http.js';
import { harmlessTool, invalidArguments, postMcp, withMcpSession } from '../runtime/mcp.js';
import { ERA_VERSION, servedEras, servedList, type Era } from '../runtime/eras.js';

export const securityInputValidation: Check = {
  item: checklistItem('security.input-validation'),
  live: probeInputValidation,
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];

    const wiring = await middlewareWiring(ctx, /body/i);
    const app = await sourceFile(ctx, APP_FILE);
    // Hono's own bodyLimit answers 413 by default, so importing it is as good as a local module.
    const builtin = app
      ? importsOf(app.code, (specifier) => specifier === 'hono/body-limit')
          .flatMap((entry) => entry.names)
          .some((name) => isReferenced(app.code, name))
      : false;
    if (!builtin) {
      if (!wiring.module) {
        failures.push({
          message: 'No body-size limit: a huge request body is read into memory',
          from: 'source-text',
          file: APP_FILE,
          remediation: `Add a body-limit middleware (src/middleware/body-limit.ts, 413 on oversized bodies) and app.use() it on /mcp in ${APP_FILE}.`,
        });
      } else {
        if (!wiring.usedIn)
          failures.push({
            message: `${wiring.module.file} is not used in ${APP_FILE}: bodies are not limited`,
            from: 'source-text',
            file: APP_FILE,
            remediation: `Import the body limit from ${wiring.module.file} and app.use() it on /mcp in ${APP_FILE}.`,
          });
        if (!/\b413\b/.test(wiring.module.code) && !/bodyLimit/.test(wiring.module.code)) {
          failures.push({
            message: `${wiring.module.file} never answers 413`,
            from: 'source-text',
            file: wiring.module.file,
            remediation: `Answer 413 Payload Too Large for oversized bodies in ${wiring.module.file}.`,
          });
        }
      }
    }

    const code = await sources(ctx);
    const registrations = findAll(code, /\.registerTool\s*\(/);
    let withSchema = 0;
    for (const call of registrations) {
      const file = code.find((candidate) => candidate.file === call.file);
      const args = file ? (balancedArgs(file.code, file.code.indexOf('(', call.index)) ?? '') : '';
      const name = /^\s*(['"`])([^'"`]+)\1/.exec(args)?.[2] ?? 'a tool';
      if (/\binputSchema\s*[:,}]/.test(args)) withSchema++;
      else
        failures.push({
          message: `Tool ${name} declares no inputSchema: its arguments reach the handler unvalidated`,
          file: call.file,
          line: call.line,
          remediation: `Give ${name} an inputSchema (zod) in ${call.file}; use an empty object schema for a tool without arguments.`,
        });
    }
    for (const call of findAll(code, /\bserver\.tool\s*\(/)) {
      warnings.push({
        message: 'server.tool() is deprecated in the SDK; registerTool() declares the input schema explicitly',
        file: call.file,
        line: call.line,
        remediation: `Use registerTool(name, { inputSchema, annotations }, handler) in ${call.file}.`,
      });
    }
    const ownTools = registrations.length > 0 || findAll(code, /\bserver\.tool\s*\(/).length > 0;
    // A gateway (its manifest requires the servers file) registers no tools: it serves its backends',
    // whose schemas are theirs to declare and check.
    if (!ownTools && ctx.manifest.requiredFiles.some(({ file }) => file === GATEWAY_CONFIG_FILE))
      return conclude(
        "Request bodies are size-limited; the tools are the backends' own, which validate their arguments (--live calls one through the gateway with invalid arguments)",
        { failures, warnings },
      );
    if (!ownTools) {
      failures.push({
        message: 'No tool registrations (registerTool) found in src/: input validation cannot be shown',
        file: 'src/mcp/tools.ts',
        remediation:
          'Register tools with registerTool(name, { inputSchema: <zod schema> }, handler) in src/mcp/tools.ts.',
      });
    }

    return conclude(
      `Request bodies are size-limited and ${withSchema} tool${withSchema === 1 ? '' : 's'} declare zod input schemas`,
      { failures, warnings },
    );
  },
};

/** Just over the 4 MiB no MCP message needs; the generated server's default limit is 1 MiB. */
const OVERSIZED_BYTES = 4 * 1024 * 1024 + 1024;
const PARSE_ERROR = -32700;

/**
 * Bad input must come back as a protocol error: invalid JSON as 400/-32700, an oversized body
 * as 413, invalid tool arguments as a JSON-RPC error or an `isError` result. Never a 500,
 * never a stack trace.
 */
export async function probeInputValidation(ctx: LiveContext): Promise<CheckOutcome> {
  await requireReachable(ctx);
  const failures: Finding[] = [];
  const warnings: Finding[] = [];
  const notes: string[] = [];
  // Requests authentication refuses never reach the parser or the tools: no verdict either way.
  const gate = await authGate(ctx);
  if (gate.refused) return behindAuthentication(gate, 'input validation');
  const leaks = (what: string, response: ProbeResponse) => {
    if (hasStackTrace(response.body)) {
      failures.push({
        message: `${what} returned a stack trace in the body`,
        remediation: 'Log internal errors server-side and answer a JSON-RPC error without stack or paths.',
      });
    }
  };

  const malformed = await postMcp(ctx, '{"jsonrpc":"2.0","id":1,"method":');
  leaks('Invalid JSON', malformed);
  if (malformed.status === 401 || malformed.status === 403) return unauthenticated(malformed.status);
  if (malformed.status !== 400) {
    failures.push({
      message: `Invalid JSON answered ${malformed.status}, not 400`,
      remediation: 'Answer a body that is not JSON with 400 and a JSON-RPC parse error (-32700).',
    });
  } else if (jsonRpcErrorCode(malformed.body) !== PARSE_ERROR) {
    warnings.push({
      message: 'Invalid JSON got 400 without a JSON-RPC parse error (-32700) in the body',
      remediation: 'Answer {"jsonrpc":"2.0","error":{"code":-32700,...},"id":null} so MCP clients can surface it.',
    });
  }

  const padding = 'x'.repeat(OVERSIZED_BYTES);
  const tooLarge = 'Refuse bodies over the limit (MAX_BODY_BYTES) with 413 before parsing them.';
  const size = `A ${Math.round(OVERSIZED_BYTES / 1024)} KiB body`;
  try {
    const huge = await postMcp(ctx, rpc(2, 'ping', { padding }));
    leaks('An oversized body', huge);
    if (huge.status !== 413)
      failures.push({ message: `${size} answered ${huge.status}, not 413`, remediation: tooLarge });
  } catch (error) {
    // The instance answered the probe before, so a dropped upload is the server's doing.
    if (!(error instanceof UnreachableError)) throw error;
    failures.push({
      message: `${size} got no answer: the connection was dropped (${error.reason}) instead of a 413`,
      remediation: tooLarge,
    });
  }

  // The tool call is made in every era the server serves, each through its own era's client.
  const eras = servedList(await servedEras(ctx));
  let rejected = 0;
  for (const era of eras.length > 0 ? eras : (['legacy'] as const))
    if (await invalidToolCall(ctx, era, { failures, notes, leaks })) rejected++;

  const detail = notes.length > 0 ? `; ${notes.join('; ')}` : '';
  if (failures.length === 0 && rejected === 0) {
    // Parse errors and body limits are the transport's; what the tools accept is the property.
    return {
      status: 'skip',
      summary: `Invalid JSON and an oversized body were refused, but no tool was called with invalid arguments${detail}`,
      findings: warnings,
    };
  }
  return conclude(`Invalid JSON gets 400/-32700 and an oversized body 413, with no stack trace${detail}`, {
    failures,
    warnings,
  });
}

/** tools/call of a read-only tool with arguments its schema must reject, in one era; true when it was made and rejected. */
async function invalidToolCall(
  ctx: LiveContext,
  era: Era,
  {
    failures,
    notes,
    leaks,
  }: { failures: Finding[]; notes: string[]; leaks: (what: string, response: ProbeResponse) => void },
): Promise<boolean> {
  const label = `[${ERA_VERSION[era]}]`;
  let rejected = false;
  await withMcpSession(
    ctx,
    async (opened) => {
      if (!opened.ok) {
        notes.push(`${label} invalid tool arguments not tried (no session: ${opened.reason})`);
        return;
      }
      const tool = harmlessTool(opened.session.tools.filter((candidate) => invalidArguments(candidate) !== undefined));
      const args = tool && invalidArguments(tool);
      if (!tool || !args) {
        notes.push(`${label} invalid tool arguments not tried (no read-only tool with a typed input schema)`);
        return;
      }
      const request = opened.session.request(3, 'tools/call', { name: tool.name, arguments: args });
      const call = await postMcp(ctx, request.body, { ...opened.session.sessionHeaders, ...request.headers });
      leaks(`${label} tools/call ${tool.name} with invalid arguments`, call);
      const reply = jsonRpcMessages(call.body).find((message) => message.id === 3);
      const result = reply?.result as { isError?: unknown } | undefined;
      if (call.status >= 500) {
        failures.push({
          message: `${label} tools/call ${tool.name} with invalid arguments (${JSON.stringify(args)}) answered HTTP ${call.status}`,
          remediation:
            'Validate tool arguments against the input schema (zod) and answer a JSON-RPC error or an isError result.',
        });
      } else if (reply?.error !== undefined || result?.isError === true) {
        rejected = true;
        notes.push(`${label} invalid arguments to ${tool.name} rejected`);
      } else if (result !== undefined) {
        failures.push({
          message: `${label} tools/call ${tool.name} accepted invalid arguments (${JSON.stringify(args)}) and ran`,
          remediation: `Give ${tool.name} an input schema that rejects them (zod), so invalid input never reaches the tool.`,
        });
      } else {
        failures.push({
          message: `${label} tools/call ${tool.name} with invalid arguments answered ${call.status} without a JSON-RPC reply`,
          remediation: 'Answer invalid tool arguments with a JSON-RPC error (-32602) or an isError result.',
        });
      }
    },
    era,
  );
  return rejected;
}

function unauthenticated(status: number): CheckOutcome {
  return {
    status: 'skip',
    summary: `Invalid JSON was refused with ${status} although initialize got past authentication: the probes never reached input validation; pass credentials with --header that the server accepts for every request`,
    findings: [],
  };
}
