import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { ProtocolError, SdkHttpError } from '@modelcontextprotocol/client';
import { ClientCredentialsToken, requestToken, TokenEndpointError, type BearerToken, type IssuedToken, type TokenEndpointRefusal } from './client-credentials.js';
import { ServersConfigError, type ServerConfig, type ServersConfig, type TokenExchange } from './config.js';

/** RFC 8693 section 2.1 and 3: the grant, and the kind of token given and asked for. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** Exchanged tokens kept per backend; the least recently used goes first beyond this. */
export const MAX_EXCHANGED_TOKENS = 1000;

/** JSON-RPC error code of a request the gateway cannot make on the caller's behalf (no token for it toward the backend). */
export const TOKEN_EXCHANGE_FAILED = -32011;

/**
 * What the authorization server's refusal means, and what to do about it. The error codes are
 * those of RFC 6749 section 5.2 and RFC 8693 section 2.2.2.
 */
const HINTS: Record<string, string> = {
  invalid_client: 'check "clientId" and "clientSecret" of "auth" in the servers file',
  unauthorized_client: 'allow this client to use token exchange at the authorization server',
  unsupported_grant_type: 'enable token exchange (RFC 8693) for this client at the authorization server, or use "type": "client_credentials"',
  invalid_grant: "the authorization server does not accept the client's access token for exchange (expired, revoked, or not one it may exchange); the client should get a new token",
  invalid_target: 'check "audience" and "resource" of "auth" in the servers file: the authorization server does not issue tokens for that backend',
  invalid_scope: 'check "scope" of "auth" in the servers file',
  invalid_request: 'the authorization server rejected the request as malformed; check "audience", "resource" and "scope" of "auth" in the servers file',
};

/**
 * Tokens exchanged for the clients' access tokens toward one backend (RFC 8693): one per client
 * token, kept until shortly before it expires (at most `maxEntries`, least recently used dropped
 * first), exchanged again when the backend refuses it. Concurrent requests for the same client
 * token share one exchange. The client's token is a key only as its hash and never appears in a
 * message.
 */
export class ExchangedTokens {
  private readonly cache = new Map<string, IssuedToken>();
  private readonly exchanging = new Map<string, Promise<string>>();

  constructor(
    private readonly config: TokenExchange,
    private readonly options: { backend: string; timeoutMs: number; fetch?: typeof fetch; now?: () => number; maxEntries?: number },
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Tokens held now. */
  get size(): number {
    return this.cache.size;
  }

  /** A token for this backend on behalf of the client whose access token `subject` is. */
  async get(subject: string): Promise<string> {
    const key = keyOf(subject);
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > this.now()) {
      // Most recently used last: the first entry is the one to drop.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached.value;
    }
    let pending = this.exchanging.get(key);
    if (!pending) {
      pending = this.exchange(subject, key).finally(() => this.exchanging.delete(key));
      this.exchanging.set(key, pending);
    }
    return pending;
  }

  /** The backend refused `value`: the next `get` for this client exchanges again. */
  invalidate(subject: string, value: string): void {
    const key = keyOf(subject);
    if (this.cache.get(key)?.value === value) this.cache.delete(key);
  }

  /** The token source for one client's requests. */
  for(subject: string): BearerToken {
    return { get: () => this.get(subject), invalidate: (value) => this.invalidate(subject, value) };
  }

  private async exchange(subject: string, key: string): Promise<string> {
    const { audience, resource, scope } = this.config;
    const issued = await requestToken(
      this.config,
      {
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN_TYPE,
        requested_token_type: ACCESS_TOKEN_TYPE,
        ...(audience ? { audience } : {}),
        ...(resource ? { resource } : {}),
        ...(scope ? { scope } : {}),
      },
      { ...this.options, secrets: [subject], hint: (refusal) => (refusal.code && HINTS[refusal.code] ? `; ${HINTS[refusal.code]}` : refusal.status === 401 ? `; ${HINTS.invalid_client}` : '') },
    );
    // A token that is not a bearer access token (RFC 8693 `N_A`, or a proof-of-possession type) cannot be sent as one.
    const tokenType = issued.json.token_type;
    if (typeof tokenType === 'string' && tokenType.toLowerCase() !== 'bearer') {
      throw new TokenEndpointError(
        `the token endpoint ${this.config.tokenUrl.href} issued a token of type ${JSON.stringify(tokenType.slice(0, 40))}, not a Bearer access token; configure the authorization server to issue access tokens for this exchange`,
        { endpoint: this.config.tokenUrl.href, status: 200 },
      );
    }
    this.store(key, { value: issued.value, expiresAt: issued.expiresAt });
    return issued.value;
  }

  private store(key: string, token: IssuedToken): void {
    this.cache.delete(key);
    this.cache.set(key, token);
    const max = this.options.maxEntries ?? MAX_EXCHANGED_TOKENS;
    if (this.cache.size <= max) return;
    const now = this.now();
    for (const [stale, entry] of this.cache) if (entry.expiresAt <= now) this.cache.delete(stale);
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= max) break;
      this.cache.delete(oldest);
    }
  }
}

function keyOf(subject: string): string {
  return createHash('sha256').update(subject).digest('base64url');
}

/** The tokens toward one HTTP backend with `auth`: the gateway's own, and for token exchange those of its clients. */
export interface BackendTokens {
  own: ClientCredentialsToken;
  exchanged?: ExchangedTokens;
}

/** One set per backend, shared by all its connections (the shared one and those of client sessions). */
const registry = new WeakMap<ServerConfig, BackendTokens>();

export function backendTokens(server: ServerConfig): BackendTokens | undefined {
  if (server.target.transport !== 'http' || !server.target.auth) return undefined;
  let tokens = registry.get(server);
  if (!tokens) {
    const auth = server.target.auth;
    const options = { timeoutMs: server.timeoutMs };
    tokens = {
      own: new ClientCredentialsToken(auth, options),
      ...(auth.type === 'token_exchange' ? { exchanged: new ExchangedTokens(auth, { ...options, backend: server.name }) } : {}),
    };
    registry.set(server, tokens);
  }
  return tokens;
}

/** The access token of the client the gateway serves in this async context (set per client request). */
const callers = new AsyncLocalStorage<{ token?: string }>();
/** The client token a backend request being sent now acts for: read by the backend connection's fetch. */
const actingFor = new AsyncLocalStorage<string>();

/**
 * Runs `run` as the gateway serving one client request: a request it makes to a backend with
 * token exchange carries a token exchanged for `token` (the client's verified bearer token).
 * Requests the gateway makes for itself meanwhile (listing a catalog, health) keep its own token.
 */
export function onBehalfOf<T>(token: string | undefined, run: () => T): T {
  return callers.run(token ? { token } : {}, run);
}

/**
 * The token a request to this backend carries, chosen per request: the one exchanged for the
 * client the request acts for, or else the gateway's own.
 */
export function tokenForRequest(tokens: BackendTokens): BearerToken {
  const subject = actingFor.getStore();
  return subject !== undefined && tokens.exchanged ? tokens.exchanged.for(subject) : tokens.own;
}

/**
 * Prepares a request made on behalf of the current client to `server`: for a backend with token
 * exchange, exchanges the client's token first (so a refusal fails this request with a clear
 * error, not the backend's breaker) and returns a runner that sends the request as that client.
 * Other backends get a runner that changes nothing.
 */
export function asCaller(server: ServerConfig): CallerScope | Promise<CallerScope> {
  const exchanged = backendTokens(server)?.exchanged;
  // Without an exchange nothing needs waiting for: the runner comes at once (no turn of the event loop per request).
  if (!exchanged) return asItself;
  return exchangedScope(server, exchanged);
}

/** Runs a request in the caller's scope (see `asCaller`). */
export type CallerScope = <T>(run: () => Promise<T>) => Promise<T>;

const asItself: CallerScope = (run) => run();

async function exchangedScope(server: ServerConfig, exchanged: ExchangedTokens): Promise<CallerScope> {
  const auth = server.target.transport === 'http' ? server.target.auth : undefined;
  const subject = callers.getStore()?.token;
  if (!subject) {
    throw new ProtocolError(
      TOKEN_EXCHANGE_FAILED,
      `Backend "${server.name}" gets the calling user's identity by token exchange, but this request carries no user access token to exchange: clients must authenticate with an OAuth bearer token (AUTH_MODE=jwt), or give "${server.name}" "type": "client_credentials" in the servers file`,
      { backend: server.name },
    );
  }
  try {
    await exchanged.get(subject);
  } catch (error) {
    if (!(error instanceof TokenEndpointError)) throw error;
    throw exchangeFailed(server.name, auth?.tokenUrl.href ?? '', error);
  }
  return (run) =>
    actingFor.run(subject, async () => {
      try {
        return await run();
      } catch (error) {
        if (!refusedForCaller(error)) throw error;
        const status = (error as SdkHttpError).status;
        const why =
          status === 401
            ? 'also after a fresh exchange: the authorization server issues tokens the backend does not accept (check "audience", "resource" and "scope" of "auth" in the servers file), or the user may not use this backend'
            : 'the user may not do this at the backend (or the exchanged token needs another "scope" of "auth" in the servers file)';
        throw new ProtocolError(
          TOKEN_EXCHANGE_FAILED,
          `Backend "${server.name}" refused the token exchanged for the calling user (HTTP ${status}): ${why}`,
          { backend: server.name, status },
        );
      }
    });
}

/**
 * Whether a failed request was the backend refusing the client it was sent for (401 or 403 to
 * an exchanged token): an answer about that client, not a sign the backend is failing.
 */
export function refusedForCaller(error: unknown): boolean {
  return actingFor.getStore() !== undefined && error instanceof SdkHttpError && (error.status === 401 || error.status === 403);
}

function exchangeFailed(backend: string, tokenUrl: string, error: TokenEndpointError): ProtocolError {
  const refusal: TokenEndpointRefusal = error.refusal;
  return new ProtocolError(
    TOKEN_EXCHANGE_FAILED,
    `Backend "${backend}": the token exchange for the calling user failed: ${error.message}`,
    { backend, tokenUrl, ...(refusal.status !== undefined ? { status: refusal.status } : {}), ...(refusal.code ? { error: refusal.code } : {}) },
  );
}

/**
 * Refuses to start when a backend exchanges user tokens but clients do not bring any: with
 * AUTH_MODE=none or apikey there is no OAuth access token to exchange.
 */
export function requireUserTokens(servers: ServersConfig, authMode: string): void {
  if (authMode === 'jwt') return;
  const exchanging = servers.servers.filter((server) => server.enabled && server.target.transport === 'http' && server.target.auth?.type === 'token_exchange');
  if (exchanging.length === 0) return;
  const names = exchanging.map((server) => `mcpServers.${server.name}.auth`).join(', ');
  throw new ServersConfigError(
    `${servers.source}: ${names}: "token_exchange" exchanges each client's OAuth access token, but AUTH_MODE=${authMode} gives the gateway no such token; set AUTH_MODE=jwt (with JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE) so clients bring one, or use "type": "client_credentials" for ${exchanging.length === 1 ? 'this backend' : 'these backends'}`,
  );
}
