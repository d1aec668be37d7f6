import type { Manifest } from '../../core/manifest.js';
import {
  notApplicable,
  skipped,
  type CheckOutcome,
  type LiveContext,
  type LocalProject,
  type StaticContext,
} from '../check.js';
import { describeFetchError, isTlsFailure, PROBE_TIMEOUT_MS, UnreachableError } from './http.js';

/** Where the probes go, derived from `--url` and, when there is one, `mcp-arch.json`. */
export interface LiveTarget {
  /** Origin of the instance, no trailing slash. */
  url: string;
  mcpUrl: string;
  endpoints: LiveContext['endpoints'];
}

/**
 * The MCP endpoint is `<origin><mcpPath>` (`/mcp` by default) unless the URL already names a
 * path, which is then taken as the endpoint itself. The operational endpoints live at the origin.
 */
export function liveTarget(url: URL, start?: Manifest['start']): LiveTarget {
  const origin = url.origin;
  const hasPath = url.pathname !== '/' && url.pathname !== '';
  const at = (path: string) => `${origin}${path}`;
  return {
    url: origin,
    mcpUrl: hasPath ? `${origin}${url.pathname.replace(/\/$/, '')}${url.search}` : at(start?.mcpPath ?? '/mcp'),
    endpoints: {
      health: at(start?.healthPath ?? '/health'),
      ready: at(start?.readyPath ?? '/ready'),
      metrics: at(start?.metricsPath ?? '/metrics'),
    },
  };
}

/** Whether the instance answered at all; TLS failures are kept apart so the TLS check can judge them. */
export type Reachability = { ok: true } | { ok: false; reason: string; tls: boolean };

export function createLiveContext(options: {
  target: LiveTarget;
  headers: Record<string, string>;
  fetch: typeof globalThis.fetch;
  project?: StaticContext;
  local?: LocalProject;
  replicas?: readonly URL[];
}): LiveContext {
  const memo = new Map<string, Promise<unknown>>();
  return {
    ...options.target,
    headers: { ...options.headers },
    fetch: options.fetch,
    ...(options.project ? { project: options.project } : {}),
    ...(options.local ? { local: options.local } : {}),
    ...(options.replicas?.length
      ? { replicas: options.replicas.map((replica) => replica.href.replace(/\/$/, '')) }
      : {}),
    once<T>(key: string, probe: () => Promise<T>): Promise<T> {
      let pending = memo.get(key) as Promise<T> | undefined;
      if (!pending) {
        pending = probe();
        memo.set(key, pending);
      }
      return pending;
    },
    asked: (key) => memo.has(key),
  };
}

/** One request to the liveness endpoint; any HTTP answer, even 404, means the instance is there. */
export function reachability(ctx: LiveContext): Promise<Reachability> {
  return ctx.once('reachability', async () => {
    try {
      const response = await ctx.fetch(ctx.endpoints.health, {
        headers: { ...ctx.headers },
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
        redirect: 'manual',
      });
      await response.body?.cancel().catch(() => undefined);
      return { ok: true } as const;
    } catch (error) {
      const reason = describeFetchError(error);
      return { ok: false, reason, tls: isTlsFailure(reason) } as const;
    }
  });
}

/** Throws UnreachableError (reported as `skip`) unless the instance answered. */
export async function requireReachable(ctx: LiveContext): Promise<void> {
  const reach = await reachability(ctx);
  if (!reach.ok) throw new UnreachableError(ctx.url, reach.reason);
}

/** Why a live part that needs the process cannot run against a server someone else started. */
export function notStartedByVerify(ctx: LiveContext, what: string): CheckOutcome {
  const reason = `${what} needs the process itself: run mcp-arch verify --live without --url so verify starts the project`;
  return ctx.project ? notApplicable(reason) : skipped(reason);
}
