import type { ClientCredentials } from './config.js';

/** A token is renewed this long before the expiry its endpoint gave, so none expires in flight. */
const EXPIRY_MARGIN_MS = 30_000;
/** Used when the token endpoint gives no `expires_in`: renewed at the latest after this, or on a 401. */
const UNKNOWN_EXPIRY_MS = 5 * 60_000;

export class TokenEndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenEndpointError';
  }
}

/**
 * The gateway's own access token for one backend, from the OAuth 2.0 client credentials grant:
 * fetched when first needed, kept until shortly before it expires, fetched again when the backend
 * refuses it (401). Concurrent callers share one request to the token endpoint.
 */
export class ClientCredentialsToken {
  private token?: { value: string; expiresAt: number };
  private fetching?: Promise<string>;

  constructor(
    private readonly credentials: ClientCredentials,
    private readonly options: { timeoutMs: number; fetch?: typeof fetch; now?: () => number } = { timeoutMs: 10_000 },
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** A valid token: the cached one, or a new one. */
  async get(): Promise<string> {
    if (this.token && this.token.expiresAt > this.now()) return this.token.value;
    this.fetching ??= this.request().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  /** The backend refused `value`: the next `get` fetches a new one (unless another caller already did). */
  invalidate(value: string): void {
    if (this.token?.value === value) this.token = undefined;
  }

  private async request(): Promise<string> {
    const { tokenUrl, clientId, clientSecret, scope } = this.credentials;
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
    // client_secret_basic (RFC 6749 section 2.3.1): both parts form-encoded, then base64.
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new TokenEndpointError(`the token endpoint ${tokenUrl.href} could not be reached (${(error as Error).message})`);
    }
    const text = await response.text();
    let json: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      // Described below by status.
    }
    if (!response.ok || typeof json.access_token !== 'string' || json.access_token === '') {
      const reason = typeof json.error === 'string' ? `${json.error}${typeof json.error_description === 'string' ? `: ${json.error_description}` : ''}` : text.slice(0, 200);
      const hint = response.status === 401 || json.error === 'invalid_client' ? '; check "clientId" and "clientSecret" of "auth" in the servers file' : '';
      throw new TokenEndpointError(`the token endpoint ${tokenUrl.href} answered ${response.status} without an access token (${reason})${hint}`);
    }
    const lifetimeMs = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in * 1000 : UNKNOWN_EXPIRY_MS;
    // A short-lived token is still used for most of its life.
    const margin = Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 10);
    this.token = { value: json.access_token, expiresAt: this.now() + lifetimeMs - margin };
    return json.access_token;
  }
}

/**
 * A fetch that carries the gateway's own token to the backend (in place of any `Authorization`
 * header of the servers file; nothing of the client's request ever gets here) and, when the
 * backend answers 401, fetches a new token and sends the request once more.
 */
export function withClientCredentials(token: ClientCredentialsToken, fetchFn: typeof fetch = fetch): typeof fetch {
  const send = async (input: Parameters<typeof fetch>[0], init: RequestInit | undefined, value: string) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${value}`);
    return fetchFn(input, { ...init, headers });
  };
  return async (input, init) => {
    const value = await token.get();
    const response = await send(input, init, value);
    if (response.status !== 401) return response;
    await response.body?.cancel().catch(() => {});
    token.invalidate(value);
    return send(input, init, await token.get());
  };
}
