import { randomUUID } from 'node:crypto';
import { conclude, type CheckOutcome, type Finding, type LiveContext, type LocalInstance } from '../check.js';
import { requireReachable } from './context.js';
import { probe } from './http.js';
import { unreachableStoreEnv } from './local.js';

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
    const dependency = await probeReadinessWithStoreDown(ctx, health, ready, failures);
    return conclude(`GET ${health} answered 200; GET ${ready} answered ${readiness.status} (readiness)${dependency}`, { failures });
  });
}

/**
 * When verify started the project and it has an external store: a second instance pointed at
 * a store nothing listens on must stay alive (/health 200) but report not ready (/ready 503).
 * Returns the part of the summary that says what was proven.
 */
async function probeReadinessWithStoreDown(ctx: LiveContext, health: string, ready: string, failures: Finding[]): Promise<string> {
  const manifest = ctx.project?.manifest;
  if (!ctx.local || !manifest) return '';
  const broken = await unreachableStoreEnv(manifest);
  if (!broken) return '';
  const remediation = `Register the session store as a readiness dependency (src/lifecycle/readiness.ts, src/start.ts): ${ready} answers 503 while it is down, ${health} stays 200.`;
  let instance: LocalInstance;
  try {
    instance = await ctx.local.launch(broken);
  } catch (error) {
    failures.push({ message: `With its ${manifest.store} store unreachable the server did not come up alive: ${(error as Error).message.split('\n')[0]}`, remediation });
    return '';
  }
  try {
    const at = (path: string) => probe(ctx, `${instance.url}${path}`);
    const liveness = await at(health);
    const readiness = await at(ready);
    if (liveness.status !== 200) failures.push({ message: `With the ${manifest.store} store unreachable, GET ${health} answered ${liveness.status}, not 200 (liveness must not depend on the store)`, remediation });
    if (readiness.status !== 503) failures.push({ message: `With the ${manifest.store} store unreachable, GET ${ready} answered ${readiness.status}, not 503`, remediation });
    return `; with the ${manifest.store} store unreachable, ${ready} answered ${readiness.status} while ${health} answered ${liveness.status}`;
  } finally {
    await instance.stop('SIGTERM', 10_000);
  }
}
