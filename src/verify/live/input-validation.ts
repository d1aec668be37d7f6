import { conclude, type CheckOutcome, type Finding, type LiveContext } from '../check.js';
import { requireReachable } from './context.js';
import { hasStackTrace, jsonRpcErrorCode, jsonRpcMessages, rpc, UnreachableError, type ProbeResponse } from './http.js';
import { harmlessTool, invalidArguments, postMcp, withMcpSession } from './mcp.js';

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
  const leaks = (what: string, response: ProbeResponse) => {
    if (hasStackTrace(response.body)) {
      failures.push({ message: `${what} returned a stack trace in the body`, remediation: 'Log internal errors server-side and answer a JSON-RPC error without stack or paths.' });
    }
  };

  const malformed = await postMcp(ctx, '{"jsonrpc":"2.0","id":1,"method":');
  leaks('Invalid JSON', malformed);
  if (malformed.status === 401) return unauthenticated();
  if (malformed.status !== 400) {
    failures.push({ message: `Invalid JSON answered ${malformed.status}, not 400`, remediation: 'Answer a body that is not JSON with 400 and a JSON-RPC parse error (-32700).' });
  } else if (jsonRpcErrorCode(malformed.body) !== PARSE_ERROR) {
    warnings.push({ message: 'Invalid JSON got 400 without a JSON-RPC parse error (-32700) in the body', remediation: 'Answer {"jsonrpc":"2.0","error":{"code":-32700,...},"id":null} so MCP clients can surface it.' });
  }

  const padding = 'x'.repeat(OVERSIZED_BYTES);
  const tooLarge = 'Refuse bodies over the limit (MAX_BODY_BYTES) with 413 before parsing them.';
  const size = `A ${Math.round(OVERSIZED_BYTES / 1024)} KiB body`;
  try {
    const huge = await postMcp(ctx, rpc(2, 'ping', { padding }));
    leaks('An oversized body', huge);
    if (huge.status !== 413) failures.push({ message: `${size} answered ${huge.status}, not 413`, remediation: tooLarge });
  } catch (error) {
    // The instance answered the probe before, so a dropped upload is the server's doing.
    if (!(error instanceof UnreachableError)) throw error;
    failures.push({ message: `${size} got no answer: the connection was dropped (${error.reason}) instead of a 413`, remediation: tooLarge });
  }

  await withMcpSession(ctx, async (opened) => {
    if (!opened.ok) {
      notes.push(`invalid tool arguments not tried (no session: ${opened.reason})`);
      return;
    }
    const tool = harmlessTool(opened.session.tools.filter((candidate) => invalidArguments(candidate) !== undefined));
    const args = tool && invalidArguments(tool);
    if (!tool || !args) {
      notes.push('invalid tool arguments not tried (no read-only tool with a typed input schema)');
      return;
    }
    const call = await postMcp(ctx, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: tool.name, arguments: args } }), opened.session.sessionHeaders);
    leaks(`tools/call ${tool.name} with invalid arguments`, call);
    const reply = jsonRpcMessages(call.body).find((message) => message.id === 3);
    const result = reply?.result as { isError?: unknown } | undefined;
    if (call.status >= 500) {
      failures.push({ message: `tools/call ${tool.name} with invalid arguments (${JSON.stringify(args)}) answered HTTP ${call.status}`, remediation: 'Validate tool arguments against the input schema (zod) and answer a JSON-RPC error or an isError result.' });
    } else if (reply?.error !== undefined || result?.isError === true) {
      notes.push(`invalid arguments to ${tool.name} rejected`);
    } else if (result !== undefined) {
      failures.push({ message: `tools/call ${tool.name} accepted invalid arguments (${JSON.stringify(args)}) and ran`, remediation: `Give ${tool.name} an input schema that rejects them (zod), so invalid input never reaches the tool.` });
    } else {
      failures.push({ message: `tools/call ${tool.name} with invalid arguments answered ${call.status} without a JSON-RPC reply`, remediation: 'Answer invalid tool arguments with a JSON-RPC error (-32602) or an isError result.' });
    }
  });

  const detail = notes.length > 0 ? `; ${notes.join('; ')}` : '';
  return conclude(`Invalid JSON gets 400/-32700 and an oversized body 413, with no stack trace${detail}`, { failures, warnings });
}

function unauthenticated(): CheckOutcome {
  return { status: 'skip', summary: 'Requests were refused with 401: pass credentials with --header so the probes reach input validation', findings: [] };
}
