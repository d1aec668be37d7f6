import type { Context } from 'hono';
import type { AuthConfig } from '../config.js';
import { publicOrigin } from '../http/public-url.js';

export const METADATA_PATH = '/.well-known/oauth-protected-resource';

export interface MetadataOptions {
  auth: AuthConfig;
  publicUrl?: URL;
  trustProxy: number;
  resourceName: string;
}

/** RFC 9728 protected resource metadata: tells clients which authorization server to use. */
export function protectedResourceMetadata(c: Context, { auth, publicUrl, trustProxy, resourceName }: MetadataOptions) {
  const origin = publicOrigin(c, { publicUrl, trustProxy });
  return {
    resource: auth.mode === 'jwt' && URL.canParse(auth.audience) ? auth.audience : `${origin}/mcp`,
    ...(auth.mode === 'jwt' ? { authorization_servers: [auth.issuer] } : {}),
    ...(auth.mode === 'jwt' && auth.requiredScopes.length > 0 ? { scopes_supported: auth.requiredScopes } : {}),
    bearer_methods_supported: ['header'],
    resource_name: resourceName,
  };
}

export function resourceMetadataUrl(c: Context, options: { publicUrl?: URL; trustProxy: number }): string {
  return `${publicOrigin(c, options)}${METADATA_PATH}`;
}
