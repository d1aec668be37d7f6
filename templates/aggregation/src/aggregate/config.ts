import { readFile } from 'node:fs/promises';

/**
 * OAuth 2.0 client credentials (RFC 6749 section 4.4) the gateway uses to get its own access
 * token for an HTTP backend: the backend's authorization, never the client's.
 */
export interface ClientCredentials {
  type: 'client_credentials';
  tokenUrl: URL;
  clientId: string;
  clientSecret: string;
  scope?: string;
}

/**
 * OAuth 2.0 token exchange (RFC 8693): for a request made on behalf of a client, the gateway
 * exchanges that client's access token for one meant for this backend, so the backend sees the
 * calling user. Its own requests (discovery, lists, health) carry its own client credentials token
 * from the same client id and secret.
 */
export interface TokenExchange {
  type: 'token_exchange';
  tokenUrl: URL;
  clientId: string;
  clientSecret: string;
  /** The backend as the authorization server names it (`audience` of RFC 8693). */
  audience?: string;
  /** The backend's resource URI (`resource` of RFC 8693 and RFC 8707). */
  resource?: string;
  scope?: string;
}

/** How to reach one backend: a Streamable HTTP URL, or a command speaking MCP on stdio. */
export type ServerTarget =
  | { transport: 'http'; url: URL; headers: Record<string, string>; auth?: ClientCredentials | TokenExchange }
  | { transport: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd?: string };

export interface ServerConfig {
  name: string;
  target: ServerTarget;
  /** Put before every tool and prompt name with `__`; empty keeps names unchanged. Defaults to the server name. */
  prefix: string;
  /** Limit for one request to this backend. */
  timeoutMs: number;
  enabled: boolean;
  /** Backend sessions held at once for downstream sessions (a stdio backend is one process each). */
  maxSessions: number;
  /**
   * Pages of one list (tools, prompts, resources, templates) read from this backend before the
   * listing is given up as endless; a backend with small pages and a long catalog needs more.
   */
  maxListPages: number;
}

export interface ServersConfig {
  /** Where the configuration came from (a file path), for messages. */
  source: string;
  servers: ServerConfig[];
}

export class ServersConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServersConfigError';
  }
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_SESSIONS = 64;
/** As many pages as the SDK's client reads by default. */
export const DEFAULT_MAX_LIST_PAGES = 64;
/** Server names become tool name prefixes, so they must fit MCP tool names. */
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const PREFIX = /^[A-Za-z0-9_.-]{0,64}$/;
const KNOWN_FIELDS = new Set(['url', 'headers', 'auth', 'command', 'args', 'env', 'cwd', 'prefix', 'timeoutMs', 'enabled', 'maxSessions', 'maxListPages', 'type', 'transport']);
const AUTH_FIELDS = {
  client_credentials: new Set(['type', 'tokenUrl', 'clientId', 'clientSecret', 'scope']),
  token_exchange: new Set(['type', 'tokenUrl', 'clientId', 'clientSecret', 'audience', 'resource', 'scope']),
};

/** Reads and validates an `mcpServers` file; every problem is reported with the file, server and field. */
export async function loadServersConfig(file: string, env: Record<string, string | undefined> = process.env): Promise<ServersConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ServersConfigError(`${file}: cannot read the servers file (${(error as NodeJS.ErrnoException).code ?? String(error)}); create it or point to it with the configured variable`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ServersConfigError(`${file}: not valid JSON (${(error as Error).message}); expected {"mcpServers": {"name": {"url": "..."}}}`);
  }
  return parseServersConfig(json, file, env);
}

/**
 * Validates the common `{"mcpServers": {...}}` shape. `${VAR}` in URLs, headers and env values is
 * taken from the environment, so credentials stay out of the file; a missing variable is an error.
 */
export function parseServersConfig(json: unknown, source: string, env: Record<string, string | undefined> = process.env): ServersConfig {
  const fail = (where: string, message: string): never => {
    throw new ServersConfigError(`${source}: ${where}: ${message}`);
  };
  if (!isObject(json) || !isObject(json.mcpServers)) {
    return fail('mcpServers', 'missing; expected {"mcpServers": {"name": {"url": "https://..."} or {"command": "node", "args": [...]}}}');
  }
  const entries = Object.entries(json.mcpServers);
  if (entries.length === 0) fail('mcpServers', 'no servers configured; add at least one');
  const servers = entries.map(([name, raw]): ServerConfig => {
    const at = (field?: string) => `mcpServers.${name}${field ? `.${field}` : ''}`;
    if (!NAME.test(name)) fail(at(), 'server names may only use letters, digits, _, - and . (at most 64); rename it');
    if (!isObject(raw)) return fail(at(), 'expected an object with "url" or "command"');
    for (const field of Object.keys(raw)) {
      if (!KNOWN_FIELDS.has(field)) fail(at(field), `unknown field; expected one of ${[...KNOWN_FIELDS].join(', ')}`);
    }
    const expand = (value: unknown, field: string): string => {
      if (typeof value !== 'string') return fail(at(field), `expected a string, got ${JSON.stringify(value)}`);
      return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, variable: string) => {
        const found = env[variable];
        if (found === undefined) return fail(at(field), `uses \${${variable}}, but the environment variable ${variable} is not set; set it or remove the reference`);
        return found;
      });
    };
    const backendAuth = (value: unknown): ClientCredentials | TokenExchange => {
      if (!isObject(value)) return fail(at('auth'), 'expected {"type": "client_credentials" or "token_exchange", "tokenUrl": "...", "clientId": "...", "clientSecret": "${SECRET}"}');
      const type = value.type;
      if (type !== 'client_credentials' && type !== 'token_exchange') {
        return fail(at('auth.type'), `expected "client_credentials" (the gateway's own token) or "token_exchange" (the calling user's token, exchanged), got ${JSON.stringify(type)}`);
      }
      const known = AUTH_FIELDS[type];
      for (const field of Object.keys(value)) {
        if (!known.has(field)) fail(at(`auth.${field}`), `unknown field for "${type}"; expected one of ${[...known].join(', ')}`);
      }
      const tokenText = expand(value.tokenUrl, 'auth.tokenUrl');
      let tokenUrl: URL | undefined;
      try {
        tokenUrl = new URL(tokenText);
      } catch {
        fail(at('auth.tokenUrl'), `not a URL: ${JSON.stringify(tokenText)}; expected the authorization server's token endpoint, e.g. "https://auth.example.com/oauth/token"`);
      }
      const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(tokenUrl!.hostname);
      if (tokenUrl!.protocol !== 'https:' && !(tokenUrl!.protocol === 'http:' && loopback)) {
        fail(at('auth.tokenUrl'), `expected an https URL (the client secret is sent to it; plain http only on loopback), got ${tokenUrl!.protocol}`);
      }
      const clientId = expand(value.clientId, 'auth.clientId');
      if (clientId === '') fail(at('auth.clientId'), 'expected a non-empty string');
      const clientSecret = expand(value.clientSecret, 'auth.clientSecret');
      if (clientSecret === '') fail(at('auth.clientSecret'), 'expected a non-empty string, e.g. "${BACKEND_CLIENT_SECRET}" read from the environment');
      const scope = value.scope === undefined ? undefined : expand(value.scope, 'auth.scope');
      const common = { tokenUrl: tokenUrl!, clientId, clientSecret, ...(scope ? { scope } : {}) };
      if (type === 'client_credentials') return { type, ...common };
      const audience = value.audience === undefined ? undefined : expand(value.audience, 'auth.audience');
      if (audience === '') fail(at('auth.audience'), 'expected a non-empty string (the backend as the authorization server names it), or leave it out');
      const resource = value.resource === undefined ? undefined : expand(value.resource, 'auth.resource');
      if (resource !== undefined && !URL.canParse(resource)) {
        fail(at('auth.resource'), `not an absolute URI: ${JSON.stringify(resource)}; expected the backend's resource identifier, e.g. "https://backend.example.com/mcp"`);
      }
      return { type, ...common, ...(audience ? { audience } : {}), ...(resource ? { resource } : {}) };
    };
    const stringMap = (value: unknown, field: string): Record<string, string> => {
      if (value === undefined) return {};
      if (!isObject(value)) return fail(at(field), 'expected an object of string values');
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expand(item, `${field}.${key}`)]));
    };
    let target: ServerTarget;
    if (raw.url !== undefined && raw.command !== undefined) fail(at(), 'has both "url" and "command"; keep one');
    if (raw.url !== undefined) {
      const text = expand(raw.url, 'url');
      let url: URL | undefined;
      try {
        url = new URL(text);
      } catch {
        fail(at('url'), `not a URL: ${JSON.stringify(text)}; expected e.g. "http://127.0.0.1:4000/mcp"`);
      }
      if (url && url.protocol !== 'http:' && url.protocol !== 'https:') fail(at('url'), `expected an http(s) URL, got ${url.protocol}`);
      target = { transport: 'http', url: url as URL, headers: stringMap(raw.headers, 'headers'), ...(raw.auth !== undefined ? { auth: backendAuth(raw.auth) } : {}) };
    } else if (raw.command !== undefined) {
      if (typeof raw.command !== 'string' || raw.command.trim() === '') return fail(at('command'), 'expected a non-empty string (the program to start)');
      if (raw.args !== undefined && (!Array.isArray(raw.args) || raw.args.some((arg) => typeof arg !== 'string'))) fail(at('args'), 'expected an array of strings');
      if (raw.cwd !== undefined && typeof raw.cwd !== 'string') fail(at('cwd'), 'expected a string');
      target = {
        transport: 'stdio',
        command: raw.command,
        args: ((raw.args as string[] | undefined) ?? []).map((arg, i) => expand(arg, `args[${i}]`)),
        env: stringMap(raw.env, 'env'),
        cwd: raw.cwd as string | undefined,
      };
      if (raw.headers !== undefined) fail(at('headers'), 'only HTTP servers (with "url") take headers; use "env" for a stdio server');
      if (raw.auth !== undefined) fail(at('auth'), 'only HTTP servers (with "url") take auth; a stdio server gets its credentials through "env"');
    } else {
      return fail(at(), 'needs "url" (Streamable HTTP) or "command" (stdio)');
    }
    const prefix = raw.prefix === undefined ? name : raw.prefix;
    if (typeof prefix !== 'string' || !PREFIX.test(prefix)) fail(at('prefix'), 'expected letters, digits, _, - or . (at most 64), or "" for no prefix');
    /** A whole-number field, or its default when absent; `unit` says what it counts, in the message. */
    const wholeNumber = (field: string, fallback: number, min: number, max: number, unit = ''): number => {
      const value = raw[field] === undefined ? fallback : raw[field];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        return fail(at(field), `expected a whole number${unit} between ${min} and ${max}, got ${JSON.stringify(value)}`);
      }
      return value;
    };
    const timeoutMs = wholeNumber('timeoutMs', DEFAULT_TIMEOUT_MS, 100, 3_600_000, ' of milliseconds');
    const maxSessions = wholeNumber('maxSessions', DEFAULT_MAX_SESSIONS, 1, 10_000);
    const maxListPages = wholeNumber('maxListPages', DEFAULT_MAX_LIST_PAGES, 1, 100_000, ' of pages');
    if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') fail(at('enabled'), 'expected true or false');
    return { name, target, prefix: prefix as string, timeoutMs, enabled: raw.enabled !== false, maxSessions, maxListPages };
  });
  if (!servers.some((server) => server.enabled)) fail('mcpServers', 'every server has "enabled": false; enable at least one');
  return { source, servers };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
