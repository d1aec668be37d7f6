import type { JSONRPCRequest, Tool } from '@modelcontextprotocol/server';
import type { RequestCheck } from '../mcp/layer-types.js';

/**
 * `Mcp-Param-*` headers (MCP 2026-07-28): a tool's input schema marks properties with `x-mcp-header`,
 * and a `tools/call` that carries such an argument must carry the header too, with the same value.
 * The gateway checks them against the tools it exposes, as a server does for its own tools: a
 * missing, different or badly encoded header is answered 400 with -32020 before any backend is asked.
 */

const HEADER_MISMATCH = -32020;
const HEADER_PREFIX = 'Mcp-Param-';
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** `number` is not allowed by the spec; such a tool is invalid but its headers are still checked. */
const CHECKED_TYPES = new Set(['string', 'integer', 'boolean', 'number']);
/** Subschemas an `x-mcp-header` may not sit under (only chains of `properties` count). */
const UNREACHABLE = [
  'items',
  'prefixItems',
  'contains',
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'propertyNames',
  'oneOf',
  'anyOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
];
const UNREACHABLE_MAPS = ['patternProperties', 'dependentSchemas', '$defs', 'definitions'];
const SENTINEL_START = '=?base64?';
const SENTINEL_END = '?=';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

interface Declaration {
  path: string[];
  header: string;
  type: string;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/**
 * The `x-mcp-header` declarations of an input schema; none when the schema breaks the rules other
 * than by a `number` type (misplaced, not a token, not a primitive, not unique), as the SDK does.
 */
export function headerDeclarations(schema: unknown): Declaration[] {
  const found: Declaration[] = [];
  const visit = (node: unknown, path: string[], reachable: boolean): boolean => {
    if (!isObject(node)) return true;
    if ('x-mcp-header' in node) {
      const header = node['x-mcp-header'];
      const type = node.type;
      if (!reachable || path.length === 0 || typeof header !== 'string' || !TOKEN.test(header)) return false;
      if (typeof type !== 'string' || !CHECKED_TYPES.has(type)) return false;
      if (found.some((item) => item.header.toLowerCase() === header.toLowerCase())) return false;
      found.push({ path, header, type });
    }
    const children: [string, unknown, boolean][] = [];
    if (isObject(node.properties))
      for (const [key, child] of Object.entries(node.properties)) children.push([key, child, reachable]);
    for (const key of UNREACHABLE) {
      const sub = node[key];
      for (const branch of Array.isArray(sub) ? sub : [sub]) children.push([`<${key}>`, branch, false]);
    }
    for (const key of UNREACHABLE_MAPS)
      if (isObject(node[key]))
        for (const branch of Object.values(node[key])) children.push([`<${key}>`, branch, false]);
    return children.every(([key, child, childReachable]) => visit(child, [...path, key], childReachable));
  };
  return visit(schema, [], true) ? found : [];
}

/** The header's value as text: a `=?base64?…?=` value decoded (undefined when it is not canonical Base64 of UTF-8). */
function decodeHeader(value: string): string | undefined {
  if (!(value.startsWith(SENTINEL_START) && value.endsWith(SENTINEL_END))) return value;
  const encoded = value.slice(SENTINEL_START.length, value.length - SENTINEL_END.length);
  if (!BASE64.test(encoded)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    return undefined;
  }
}

/** An argument as a header carries it; undefined for values no header is sent for. */
function asHeaderText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number' && Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value)))
    return String(value);
  return undefined;
}

const name = (path: string[]) => path.join('.');

/** Why the headers do not match the arguments, or undefined when they do. */
export function paramHeaderMismatch(
  declarations: Declaration[],
  args: unknown,
  headers: Headers,
): { header: string; body: string } | undefined {
  for (const { path, header: declared, type } of declarations) {
    const header = `${HEADER_PREFIX}${declared}`;
    const value = path.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), args);
    const expected = asHeaderText(value);
    if (expected === undefined) continue;
    const sent = headers.get(header);
    if (sent === null)
      return {
        header,
        body: `the body carries ${name(path)}=${JSON.stringify(value)} but the ${header} header is absent`,
      };
    const decoded = decodeHeader(sent);
    if (decoded === undefined) return { header, body: `the ${header} header carries an invalid Base64 sentinel value` };
    const numeric = (type === 'integer' || type === 'number') && typeof value === 'number' && DECIMAL.test(decoded);
    if (numeric ? Number(decoded) !== value : decoded !== expected) {
      return {
        header,
        body: `the ${header} header decodes to ${JSON.stringify(decoded)} but the body carries ${name(path)}=${JSON.stringify(value)}`,
      };
    }
  }
  return undefined;
}

/** The `Mcp-Param-*` headers of the declarations that the request carries, as it carries them (names in lower case). */
export function sentParamHeaders(declarations: Declaration[], headers: Headers): Record<string, string> {
  const sent: Record<string, string> = {};
  for (const { header: declared } of declarations) {
    const header = `${HEADER_PREFIX}${declared}`.toLowerCase();
    const value = headers.get(header);
    if (value !== null) sent[header] = value;
  }
  return sent;
}

const declared = new WeakMap<Tool[], Map<string, Declaration[]>>();

/** The tools of a listing that mirror arguments in headers, with their declarations; worked out once per listing. */
export function mirroredTools(tools: Tool[]): Map<string, Declaration[]> {
  let found = declared.get(tools);
  if (!found) {
    found = new Map();
    for (const tool of tools) {
      const declarations = headerDeclarations(tool.inputSchema);
      if (declarations.length > 0) found.set(tool.name, declarations);
    }
    declared.set(tools, found);
  }
  return found;
}

/** The check of `/mcp` for `tools/call`: the headers against the exposed tool's schema (`tools` is the cached list). */
export function paramHeaderCheck(tools: () => Promise<Tool[]>): RequestCheck {
  return async (message: JSONRPCRequest, headers: Headers) => {
    if (message.method !== 'tools/call' || !isObject(message.params) || typeof message.params.name !== 'string')
      return undefined;
    const declarations = mirroredTools(await tools().catch(() => [])).get(message.params.name);
    const mismatch = declarations && paramHeaderMismatch(declarations, message.params.arguments, headers);
    if (!mismatch) return undefined;
    return Response.json(
      {
        jsonrpc: '2.0',
        error: {
          code: HEADER_MISMATCH,
          message: `Bad Request: the request headers and body disagree: ${mismatch.body}`,
          data: { mismatch },
        },
        id: message.id,
      },
      { status: 400 },
    );
  };
}
