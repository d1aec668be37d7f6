import type { Context } from 'hono';

/**
 * The origin clients use to reach this server, for OAuth metadata. PUBLIC_URL wins; behind
 * trusted proxies the forwarded scheme and host are used; otherwise the request's own URL.
 */
export function publicOrigin(c: Context, { publicUrl, trustProxy }: { publicUrl?: URL; trustProxy: number }): string {
  if (publicUrl) return publicUrl.origin;
  const url = new URL(c.req.url);
  if (trustProxy > 0) {
    const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim();
    const host = c.req.header('x-forwarded-host')?.split(',')[0]?.trim();
    if (proto === 'http' || proto === 'https') url.protocol = `${proto}:`;
    if (host && /^[a-z0-9.\-:[\]]+$/i.test(host)) url.host = host;
  }
  return url.origin;
}
