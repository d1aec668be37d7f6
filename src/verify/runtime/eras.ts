import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION as LEGACY_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { LiveContext } from '../check.js';
import type { ProtocolPosture } from '../../core/ids.js';
import { toolInfo } from '../../core/tool-info.js';
import { PROBE_TIMEOUT_MS, UnreachableError } from './http.js';

/**
 * The two protocol eras a server may serve: `modern` is MCP 2026-07-28 (stateless, found with
 * `server/discover`), `legacy` the 2025 era (`initialize`, sessions).
 */
export const ERAS = ['modern', 'legacy'] as const;
export type Era = (typeof ERAS)[number];

/** The protocol revision each era's probes speak. */
export const ERA_VERSION: Record<Era, string> = { modern: '2026-07-28', legacy: LEGACY_VERSION };

/** How summaries and findings name each era. */
export const ERA_NAME: Record<Era, string> = {
  modern: `MCP ${ERA_VERSION.modern}`,
  legacy: `the 2025 era (${ERA_VERSION.legacy})`,
};

/** The JSON-RPC error a modern-only endpoint answers 2025-era requests with (unsupported protocol version). */
export const UNSUPPORTED_VERSION = -32022;

/** The eras a protocol posture promises: both for `dual`, MCP 2026-07-28 alone for `modern`. */
export function promisedEras(posture: ProtocolPosture): readonly Era[] {
  return posture === 'modern' ? ['modern'] : ERAS;
}

/** What the probe of one era found: served, or why not (the client's own error). */
export type EraProbe = { served: true } | { served: false; reason: string };

export type ServedEras = Record<Era, EraProbe>;

/** A client of the era: the v2 client pinned to 2026-07-28, or the v1 client's `initialize`. */
export function eraClient(era: Era, ctx: LiveContext, fetch: typeof globalThis.fetch) {
  const info = { name: 'mcp-arch-verify', version: toolInfo().version };
  const url = new URL(ctx.mcpUrl);
  const requestInit = { headers: { ...ctx.headers } };
  if (era === 'modern') {
    return {
      client: new ModernClient(info, { versionNegotiation: { mode: { pin: ERA_VERSION.modern } } }),
      transport: new ModernTransport(url, { requestInit, fetch }),
    };
  }
  return { client: new LegacyClient(info), transport: new LegacyTransport(url, { requestInit, fetch }) };
}

/** Shortens a client error to one readable line. */
export function clientReason(error: unknown): string {
  const reason = ((error as Error)?.message || String(error)).split('\n')[0] ?? '';
  return reason.length > 160 ? `${reason.slice(0, 157)}...` : reason;
}

/** The `once` key of the eras probe. */
export const SERVED_ERAS = 'served-eras';

/**
 * Which eras the server serves: `server/discover` with the v2 client pinned to 2026-07-28, then
 * `initialize` with the v1 client. Asked once per run. An unreachable server throws
 * (UnreachableError), so a check that needs the answer reports skip, never pass.
 */
export function servedEras(ctx: LiveContext): Promise<ServedEras> {
  return ctx.once(SERVED_ERAS, async () => {
    const probeEra = async (era: Era): Promise<EraProbe> => {
      const { client, transport } = eraClient(era, ctx, ctx.fetch);
      try {
        await client.connect(transport, { timeout: PROBE_TIMEOUT_MS });
        return { served: true };
      } catch (error) {
        if (error instanceof UnreachableError) throw error;
        if (error instanceof TypeError && /fetch failed/i.test(error.message))
          throw new UnreachableError(ctx.mcpUrl, clientReason(error.cause ?? error));
        return { served: false, reason: clientReason(error) };
      } finally {
        if (era === 'legacy' && (transport as LegacyTransport).sessionId)
          await (transport as LegacyTransport).terminateSession().catch(() => undefined);
        await client.close().catch(() => undefined);
      }
    };
    return { modern: await probeEra('modern'), legacy: await probeEra('legacy') };
  });
}

/** The eras served, in order, as protocol revisions (for summaries). */
export function servedList(eras: ServedEras): Era[] {
  return ERAS.filter((era) => eras[era].served);
}
