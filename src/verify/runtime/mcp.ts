import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { LiveContext } from '../check.js';
import { toolInfo } from '../../core/tool-info.js';
import { clientReason, ERA_VERSION, eraClient, type Era } from './eras.js';
import {
  describeFetchError,
  MCP_POST_HEADERS,
  probe,
  PROBE_TIMEOUT_MS,
  retryAfterMs,
  sleep,
  UnreachableError,
  type ProbeResponse,
} from './http.js';

/** An MCP session opened with the SDK client, for probes that need a real exchange first. */
export interface McpSession {
  /** The protocol era it speaks. */
  era: Era;
  tools: Tool[];
  /** Headers a raw request inside this session needs (Mcp-Session-Id, Mcp-Protocol-Version). */
  sessionHeaders: Record<string, string>;
  /**
   * A raw request of this era: the body and the headers it needs besides `sessionHeaders`
   * (2026-07-28: the `_meta` envelope in the body, Mcp-Method and Mcp-Name headers).
   */
  request(
    id: number,
    method: string,
    params: Record<string, unknown>,
    meta?: Record<string, unknown>,
  ): { body: string; headers: Record<string, string> };
}

/** What a 2026-07-28 request's `Mcp-Name` header carries for `method`: the tool, prompt or resource it names. */
export function mcpNameOf(method: string, params: Record<string, unknown>): unknown {
  if (method === 'resources/read') return params.uri;
  return method === 'tools/call' || method === 'prompts/get' ? params.name : undefined;
}

/** A raw JSON-RPC request of `era`, as that era's clients send it. */
export function eraRequest(
  era: Era,
  id: number,
  method: string,
  params: Record<string, unknown>,
  extraMeta: Record<string, unknown> = {},
): { body: string; headers: Record<string, string> } {
  if (era === 'legacy') {
    const withMeta = Object.keys(extraMeta).length > 0 ? { ...params, _meta: extraMeta } : params;
    return { body: JSON.stringify({ jsonrpc: '2.0', id, method, params: withMeta }), headers: {} };
  }
  const meta = {
    ...extraMeta,
    'io.modelcontextprotocol/protocolVersion': ERA_VERSION.modern,
    'io.modelcontextprotocol/clientInfo': { name: 'mcp-arch-verify', version: toolInfo().version },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const headers: Record<string, string> = { 'mcp-protocol-version': ERA_VERSION.modern, 'mcp-method': method };
  const name = mcpNameOf(method, params);
  if (typeof name === 'string') headers['mcp-name'] = name;
  return { body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } }), headers };
}

/** Either a session, or why none could be opened (e.g. 401 without credentials). */
export type McpSessionResult = { ok: true; session: McpSession } | { ok: false; reason: string };

export { LATEST_PROTOCOL_VERSION };

/**
 * Opens a session of `era` as a real client of that era would (2026-07-28: `server/discover`
 * with the v2 client; 2025: initialize, initialized with the v1 client), lists the tools, runs
 * `use`, then ends the session (DELETE, 2025 only) and closes the client whatever `use` did.
 */
export async function withMcpSession<T>(
  ctx: LiveContext,
  use: (result: McpSessionResult) => Promise<T>,
  era: Era = 'legacy',
): Promise<T> {
  const { client, transport } = eraClient(era, ctx, patientFetch(ctx));
  const legacy = era === 'legacy' ? (transport as StreamableHTTPClientTransport) : undefined;
  let result: McpSessionResult;
  try {
    await client.connect(transport, { timeout: PROBE_TIMEOUT_MS });
    const tools: Tool[] = [];
    let cursor: string | undefined;
    // A few pages are plenty to find a tool to probe with; never walk an endless cursor.
    for (let page = 0; page < 5; page++) {
      const listed = await client.listTools(cursor ? { cursor } : {}, { timeout: PROBE_TIMEOUT_MS });
      tools.push(...(listed.tools as Tool[]));
      cursor = listed.nextCursor;
      if (!cursor) break;
    }
    const sessionHeaders: Record<string, string> = {
      'mcp-protocol-version': legacy ? (legacy.protocolVersion ?? LATEST_PROTOCOL_VERSION) : ERA_VERSION.modern,
    };
    if (legacy?.sessionId) sessionHeaders['mcp-session-id'] = legacy.sessionId;
    const request = (id: number, method: string, params: Record<string, unknown>, meta?: Record<string, unknown>) =>
      eraRequest(era, id, method, params, meta);
    result = { ok: true, session: { era, tools, sessionHeaders, request } };
  } catch (error) {
    if (error instanceof UnreachableError) throw error;
    result = { ok: false, reason: clientReason(error) };
  }
  try {
    return await use(result);
  } finally {
    if (result.ok && legacy?.sessionId) await legacy.terminateSession().catch(() => undefined);
    await client.close().catch(() => undefined);
  }
}

/** The SDK's requests, bounded and waiting out a rate limit the way `probe` does. */
function patientFetch(ctx: LiveContext): typeof globalThis.fetch {
  return async (input, init) => {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await ctx.fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      } catch (error) {
        if ((error as Error).name === 'AbortError' && init?.signal?.aborted) throw error;
        throw new UnreachableError(String(input instanceof Request ? input.url : input), describeFetchError(error));
      }
      if (response.status !== 429 || attempt >= 2) return response;
      await response.body?.cancel().catch(() => undefined);
      await sleep(Math.min(2_000, retryAfterMs(response.headers.get('retry-after')) ?? 1_000));
    }
  };
}

/**
 * The listed name of a tool the manifest names: the name itself, or a gateway's namespaced
 * `<prefix>__<name>` when the tool comes from a backend.
 */
export function listedToolName(names: readonly string[], name: string): string | undefined {
  return names.find((listed) => listed === name) ?? names.find((listed) => listed.endsWith(`__${name}`));
}

/**
 * A tool that is safe to call from a probe: one that declares itself read-only, or whose
 * name says it only echoes or reports. Destructive tools are never called.
 */
export function harmlessTool(tools: readonly Tool[]): Tool | undefined {
  const safe = tools.filter((tool) => tool.annotations?.destructiveHint !== true);
  return (
    safe.find((tool) => tool.annotations?.readOnlyHint === true) ??
    safe.find((tool) => /^(?:[\w-]*__)?(?:echo|ping|hello|time|now|health|status|whoami|add|sum)$/i.test(tool.name))
  );
}

/** Arguments that satisfy the tool's declared input schema as far as a probe can tell. */
export function sampleArguments(tool: Tool): Record<string, unknown> {
  const properties = (tool.inputSchema.properties ?? {}) as Record<
    string,
    { type?: unknown; enum?: unknown[]; default?: unknown }
  >;
  const args: Record<string, unknown> = {};
  for (const name of tool.inputSchema.required ?? []) {
    const schema = properties[name] ?? {};
    args[name] = sampleValue(schema);
  }
  return args;
}

function sampleValue(schema: { type?: unknown; enum?: unknown[]; default?: unknown }): unknown {
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return {};
    case 'null':
      return null;
    default:
      return 'mcp-arch-verify';
  }
}

/**
 * Arguments the tool's schema must reject: a required property left out, or a declared
 * property given the wrong type. `undefined` when the schema accepts anything.
 */
export function invalidArguments(tool: Tool): Record<string, unknown> | undefined {
  const properties = (tool.inputSchema.properties ?? {}) as Record<string, { type?: unknown }>;
  const required = tool.inputSchema.required ?? [];
  if (required.length > 0) {
    const args = sampleArguments(tool);
    delete args[required[0] as string];
    return args;
  }
  for (const [name, schema] of Object.entries(properties)) {
    const type = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (type.includes('string')) continue;
    if (type.some((entry) => typeof entry === 'string')) return { [name]: 'mcp-arch-verify: not a valid value' };
  }
  for (const [name, schema] of Object.entries(properties)) {
    if (schema.type === 'string') return { [name]: 12345 };
  }
  return undefined;
}

/** A raw POST to the MCP endpoint inside a session (or without one), credentials included unless told. */
export function postMcp(
  ctx: LiveContext,
  body: string,
  headers: Record<string, string> = {},
  credentials = true,
): Promise<ProbeResponse> {
  return probe(ctx, ctx.mcpUrl, { method: 'POST', headers: { ...MCP_POST_HEADERS, ...headers }, body, credentials });
}
