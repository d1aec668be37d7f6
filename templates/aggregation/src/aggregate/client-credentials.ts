/** A token is renewed this long before the expiry its endpoint gave, so none expires in flight. */
const EXPIRY_MARGIN_MS = 30_000;
/** Used when the token endpoint gives no `expires_in`: renewed at the latest after this, or on a 401. */
const UNKNOWN_EXPIRY_MS = 5 * 60_000;

/** What the token endpoint answered when it gave no access token, for messages and callers. */
export interface TokenEndpointRefusal {
  /** The token endpoint. */
  endpoint: string;
  /** HTTP status; undefined when the endpoint could not be reached. */
  status?: number;
  /** The OAuth error code the endpoint gave (RFC 6749 section 5.2), e.g. `invalid_grant`. */
  code?: string;
}

export class TokenEndpointError extends Error {
  constructor(
    message: string,
    readonly refusal: TokenEndpointRefusal = { endpoint: '' },
  ) {
    super(message);
    this.name = 'TokenEndpointError';
  }
}

/** Where and as whom the gateway asks for tokens: an OAuth client of the authorization server. */
export interface TokenClient {
  tokenUrl: URL;
  clientId: string;
  clientSecret: string;
}

/** A token the endpoint issued, and until when to use it. */
export interface IssuedToken {
  value: string;
  expiresAt: number;
}

/**
 * One request to the token endpoint with client_secret_basic authentication (RFC 6749 section
 * 2.3.1: both parts form-encoded, then base64). The answer's lifetime (`expires_in`) is shortened
 * by a margin so a token never expires in flight. `secrets` never appear in an error message (an
 * endpoint may echo the request back).
 */
export async function requestToken(
  client: TokenClient,
  form: Record<string, string>,
  options: { timeoutMs: number; fetch?: typeof fetch; now?: () => number; secrets?: string[]; hint?: (refusal: TokenEndpointRefusal) => string },
): Promise<IssuedToken & { json: Record<string, unknown> }> {
  const { tokenUrl, clientId, clientSecret } = client;
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  const redact = (text: string) => [clientSecret, ...(options.secrets ?? [])].reduce((out, secret) => (secret ? out.replaceAll(secret, '[redacted]') : out), text);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw new TokenEndpointError(redact(`the token endpoint ${tokenUrl.href} could not be reached (${(error as Error).message})`), { endpoint: tokenUrl.href });
  }
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
  } catch {
    // Described below by status.
  }
  if (!response.ok || typeof json.access_token !== 'string' || json.access_token === '') {
    const code = typeof json.error === 'string' ? json.error : undefined;
    const reason = code ? `${code}${typeof json.error_description === 'string' ? `: ${json.error_description}` : ''}` : text.slice(0, 200);
    const refusal: TokenEndpointRefusal = { endpoint: tokenUrl.href, status: response.status, ...(code ? { code } : {}) };
    throw new TokenEndpointError(redact(`the token endpoint ${tokenUrl.href} answered ${response.status} without an access token (${reason})${options.hint?.(refusal) ?? ''}`), refusal);
  }
  const lifetimeMs = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in * 1000 : UNKNOWN_EXPIRY_MS;
  // A short-lived token is still used for most of its life.
  const margin = Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 10);
  return { value: json.access_token, expiresAt: (options.now ?? Date.now)() + lifetimeMs - margin, json };
}

/** A bearer token for requests to a backend: fetched when needed, dropped when the backend refuses it. */
export interface BearerToken {
  /** A valid token: the cached one, or a new one. */
  get(): Promise<string>;
  /** The backend refused `value`: the next `get` fetches a new one (unless another caller already did). */
  invalidate(value: string): void;
}

/** Extra parameters of the grant that name the backend the token is for (RFC 8707 `resource`, `audience`). */
export interface TokenTarget {
  scope?: string;
  audience?: string;
  resource?: string;
}

/**
 * The gateway's own access token for one backend, from the OAuth 2.0 client credentials grant:
 * fetched when first needed, kept until shortly before it expires, fetched again when the backend
 * refuses it (401). Concurrent callers share one request to the token endpoint.
 */
export class ClientCredentialsToken implements BearerToken {
  private token?: IssuedToken;
  private fetching?: Promise<string>;

  constructor(
    private readonly credentials: TokenClient & TokenTarget,
    private readonly options: { timeoutMs: number; fetch?: typeof fetch; now?: () => number } = { timeoutMs: 10_000 },
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  async get(): Promise<string> {
    if (this.token && this.token.expiresAt > this.now()) return this.token.value;
    this.fetching ??= this.request().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  invalidate(value: string): void {
    if (this.token?.value === value) this.token = undefined;
  }

  private async request(): Promise<string> {
    const { scope, audience, resource } = this.credentials;
    const issued = await requestToken(
      this.credentials,
      { grant_type: 'client_credentials', ...(scope ? { scope } : {}), ...(audience ? { audience } : {}), ...(resource ? { resource } : {}) },
      {
        ...this.options,
        hint: (refusal) => (refusal.status === 401 || refusal.code === 'invalid_client' ? '; check "clientId" and "clientSecret" of "auth" in the servers file' : ''),
      },
    );
    this.token = { value: issued.value, expiresAt: issued.expiresAt };
    return issued.value;
  }
}

/**
 * A fetch that carries a bearer token to the backend (in place of any `Authorization` header of
 * the servers file) and, when the backend answers 401, gets a new token and sends the request
 * once more. `pick` chooses the token per request: the gateway's own, or the one exchanged for
 * the client the request is made for.
 */
export function withBearerToken(pick: () => BearerToken, fetchFn: typeof fetch = fetch): typeof fetch {
  const send = async (input: Parameters<typeof fetch>[0], init: RequestInit | undefined, value: string) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${value}`);
    return fetchFn(input, { ...init, headers });
  };
  return async (input, init) => {
    const token = pick();
    const value = await token.get();
    const response = await send(input, init, value);
    if (response.status !== 401) return response;
    await response.body?.cancel().catch(() => {});
    token.invalidate(value);
    return send(input, init, await token.get());
  };
}

/** A fetch that carries the gateway's own token to the backend (nothing of the client's request ever gets here). */
export function withClientCredentials(token: ClientCredentialsToken, fetchFn: typeof fetch = fetch): typeof fetch {
  return withBearerToken(() => token, fetchFn);
}
