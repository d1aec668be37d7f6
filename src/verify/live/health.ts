import { randomUUID } from 'node:crypto';
import { conclude, type CheckOutcome, type Finding, type LiveContext } from '../check.js';
import { requireReachable } from './context.js';
import { probe } from './http.js';

/**
 * Liveness must answer 200 and readiness must exist as its own endpoint (200, or 503 while
 * not ready). A server answering 200 on any path proves neither, so a made-up path is asked too.
 */
export function probeHealth(ctx: LiveContext): Promise<CheckOutcome> {
  return ctx.once('health', async () => {
    await requireReachable(ctx);
    const failures: Finding[] = [];
    const health = new URL(ctx.endpoints.health).pathname;
    const ready = new URL(ctx.endpoints.ready).pathname;
    const liveness = await probe(ctx, ctx.endpoints.health);
    const readiness = await probe(ctx, ctx.endpoints.ready);
    if (liveness.status !== 200) {
      failures.push({ message: `GET ${health} answered ${liveness.status}, not 200`, remediation: `Serve GET ${health}: 200 while the process can serve, without touching dependencies.` });
    }
    if (readiness.status !== 200 && readiness.status !== 503) {
      failures.push({ message: `GET ${ready} answered ${readiness.status}: no readiness endpoint`, remediation: `Serve GET ${ready}: 200 when ready, 503 while draining or while a required dependency is down.` });
    }
    if (health === ready) {
      failures.push({ message: `Liveness and readiness are the same endpoint (${health})`, remediation: 'Serve readiness on its own path (e.g. /ready) so a draining instance leaves the load balancer without being restarted.' });
    }
    const nowhere = `/mcp-arch-verify-${randomUUID()}`;
    const catchAll = await probe(ctx, `${ctx.url}${nowhere}`);
    if (catchAll.status === 200 && failures.length === 0) {
      failures.push({ message: `A made-up path (${nowhere}) also answered 200: the health endpoints cannot be told from a catch-all`, remediation: `Answer 404 for unknown paths so ${health} and ${ready} mean something.` });
    }
    return conclude(`GET ${health} answered 200; GET ${ready} answered ${readiness.status} (readiness)`, { failures });
  });
}
