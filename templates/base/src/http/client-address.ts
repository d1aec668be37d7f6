import type { Context } from 'hono';

/** How the runtime exposes the peer address (Node: the socket; other runtimes: their own API). */
export type RemoteAddress = (c: Context) => string | undefined;

/**
 * The client's address. X-Forwarded-For is client-controlled: only the entries appended
 * by our own `trustProxy` proxies count, so rotating the header cannot forge an address.
 */
export function clientAddress(c: Context, trustProxy: number, remoteAddress: RemoteAddress): string {
  const peer = remoteAddress(c) ?? 'unknown';
  if (trustProxy === 0) return peer;
  const forwarded = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const chain = [...forwarded, peer];
  return chain[Math.max(0, chain.length - 1 - trustProxy)] ?? peer;
}
