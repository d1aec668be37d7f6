import { randomUUID } from 'node:crypto';
import {
  checklistItem,
  conclude,
  skipped,
  type Check,
  type CheckOutcome,
  type Finding,
  type LiveContext,
  type LocalInstance,
} from '../check.js';
import { routes, routesFor, sources, type SourceFile } from '../readers/source.js';
import { requireReachable } from '../runtime/context.js';
import { ERA_NAME, ERA_VERSION, servedEras, servedList } from '../runtime/eras.js';
import { probe } from '../runtime/http.js';
import { listedToolName, withMcpSession } from '../runtime/mcp.js';
import { unreachableStoreEnv } from '../runtime/local.js';

/** Names that show readiness depends on draining or on a dependency. */
const READINESS_STATE =
  /\b(?:draining|isDraining|shuttingDown|isShuttingDown|closing|ready|isReady|readiness|ping|check\w*)\b/;

export const resilienceHealthChecks: Check = {
  item: checklistItem('resilience.health-checks'),
  live: probeReadiness,
  async static(ctx) {
    const { healthPath, readyPath } = ctx.manifest.start;
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const code = await sources(ctx);
    const all = routes(code);
    const [health] = routesFor(all, healthPath);
    const [ready] = routesFor(all, readyPath);

    if (!health)
      failures.push({
        message: `No GET ${healthPath} (liveness) route in src/`,
        file: 'src/app.ts',
        remediation: `Serve GET ${healthPath} in src/app.ts: 200 while the process can serve, without touching dependencies.`,
      });
    if (!ready)
      failures.push({
        message: `No GET ${readyPath} (readiness) route in src/`,
        file: 'src/app.ts',
        remediation: `Serve GET ${readyPath} in src/app.ts: 503 while draining or while a required dependency is down.`,
      });

    if (health && ready) {
      if (healthPath === readyPath || normalise(health.handler) === normalise(ready.handler)) {
        failures.push({
          message: `${healthPath} and ${readyPath} answer the same way: readiness never reflects draining or dependencies`,
          file: ready.file,
          line: ready.line,
          remediation: `Make ${readyPath} in ${ready.file} report 503 while draining or while the store/backends are down; keep ${healthPath} a plain liveness answer.`,
        });
      } else {
        const readinessCode = handlerScope(code, ready.file, ready.handler);
        if (!/\b503\b/.test(readinessCode)) {
          failures.push({
            message: `${readyPath} never answers 503: a draining or disconnected instance keeps receiving traffic`,
            file: ready.file,
            line: ready.line,
            remediation: `Answer 503 from ${readyPath} (in ${ready.file}) while shutting down or while a required dependency is unreachable.`,
          });
        } else if (!READINESS_STATE.test(ready.handler)) {
          warnings.push({
            message: `The ${readyPath} handler does not visibly consult draining state or dependencies`,
            file: ready.file,
            line: ready.line,
            remediation: `Derive ${readyPath} from the shutdown state and dependency checks in ${ready.file}.`,
          });
        }
      }
    }

    return conclude(`${healthPath} answers liveness; ${readyPath} answers readiness and reports 503 when not ready`, {
      failures,
      warnings,
    });
  },
};

function normalise(handler: string): string {
  return handler.replace(/\s+/g, '');
}

/**
 * Code that decides the readiness answer: the handler itself, plus the module that defines the
 * function it delegates to (e.g. `readiness(c)` imported from a health module).
 */
function handlerScope(code: readonly SourceFile[], file: string, handler: string): string {
  const parts = [handler];
  const own = code.find((candidate) => candidate.file === file);
  for (const match of handler.matchAll(/\b([A-Za-z_$][\w$]*)\s*\(/g)) {
    const name = match[1] as string;
    const definition = new RegExp(
      `(?:function\\s+${name}\\b|(?:const|let)\\s+${name}\\s*=|\\b${name}\\s*\\([^)]*\\)\\s*(?::[^{]+)?\\{)`,
    );
    for (const candidate of code) {
      if (
        definition.test(candidate.code) &&
        (candidate.file === own?.file || new RegExp(`export[^\\n]*\\b${name}\\b`).test(candidate.code))
      ) {
        parts.push(candidate.code);
      }
    }
  }
  return parts.join('\n');
}

/** What the health endpoints answered: probed once per run, judged by both health-check items. */
interface HealthEndpoints {
  health: string;
  ready: string;
  readiness: number;
  failures: Finding[];
}

/**
 * Liveness must answer 200 and readiness must exist as its own endpoint (200, or 503 while
 * not ready). A server answering 200 on any path proves neither, so a made-up path is asked too.
 */
function healthEndpoints(ctx: LiveContext): Promise<HealthEndpoints> {
  return ctx.once('health', async () => {
    await requireReachable(ctx);
    const failures: Finding[] = [];
    const health = new URL(ctx.endpoints.health).pathname;
    const ready = new URL(ctx.endpoints.ready).pathname;
    const liveness = await probe(ctx, ctx.endpoints.health);
    const readiness = await probe(ctx, ctx.endpoints.ready);
    if (liveness.status !== 200) {
      failures.push({
        message: `GET ${health} answered ${liveness.status}, not 200`,
        remediation: `Serve GET ${health}: 200 while the process can serve, without touching dependencies.`,
      });
    }
    if (readiness.status !== 200 && readiness.status !== 503) {
      failures.push({
        message: `GET ${ready} answered ${readiness.status}: no readiness endpoint`,
        remediation: `Serve GET ${ready}: 200 when ready, 503 while draining or while a required dependency is down.`,
      });
    }
    if (health === ready) {
      failures.push({
        message: `Liveness and readiness are the same endpoint (${health})`,
        remediation:
          'Serve readiness on its own path (e.g. /ready) so a draining instance leaves the load balancer without being restarted.',
      });
    }
    const nowhere = `/mcp-arch-verify-${randomUUID()}`;
    const catchAll = await probe(ctx, `${ctx.url}${nowhere}`);
    if (catchAll.status === 200 && failures.length === 0) {
      failures.push({
        message: `A made-up path (${nowhere}) also answered 200: the health endpoints cannot be told from a catch-all`,
        remediation: `Answer 404 for unknown paths so ${health} and ${ready} mean something.`,
      });
    }
    return { health, ready, readiness: readiness.status, failures };
  });
}

/** The endpoints the configured probes call answer as liveness and readiness (pre-deployment.health-checks). */
export async function probeHealth(ctx: LiveContext): Promise<CheckOutcome> {
  const { health, ready, readiness, failures } = await healthEndpoints(ctx);
  return conclude(`GET ${health} answered 200; GET ${ready} answered ${readiness} (readiness)`, {
    failures: [...failures],
  });
}

/**
 * Readiness means the instance can serve MCP: the endpoints answer as they should, a 200 from
 * readiness comes with a `tools/list` that succeeds and lists what the configuration promises,
 * and (when verify started the project and it has an external store) an instance that lost its
 * store says not ready while staying alive.
 */
export async function probeReadiness(ctx: LiveContext): Promise<CheckOutcome> {
  const { health, ready, readiness, failures: endpointFailures } = await healthEndpoints(ctx);
  const failures: Finding[] = [...endpointFailures];
  const warnings: Finding[] = [];
  let tools = '';
  let blocked: string | undefined;
  if (readiness === 200) {
    const listed = await toolsWhenReady(ctx, ready, failures);
    if (listed.blocked) blocked = listed.blocked;
    tools = listed.summary;
  } else if (readiness === 503) {
    warnings.push({
      message: `GET ${ready} answered 503, so readiness could not be matched against tools/list`,
      remediation: `Probe an instance that reports ready (GET ${ready} 200), or find out why it is not.`,
    });
  }
  const dependency = await probeReadinessWithStoreDown(ctx, health, ready, failures);
  if (blocked && failures.length === 0) return skipped(blocked);
  return conclude(`GET ${health} answered 200; GET ${ready} answered ${readiness}${tools}${dependency}`, {
    failures,
    warnings,
  });
}

/**
 * With readiness at 200, `tools/list` in the first era the server serves must succeed, list at
 * least one tool, and list the manifest's slow tool when it names one. Returns the part of the
 * summary that says what was proven, or why it could not be (missing credentials).
 */
async function toolsWhenReady(
  ctx: LiveContext,
  ready: string,
  failures: Finding[],
): Promise<{ summary: string; blocked?: string }> {
  const remediation = `Report ready from ${ready} only when MCP requests can be served: derive readiness from the dependencies tools/list needs (src/lifecycle/readiness.ts), and register at least one tool (src/mcp/tools.ts).`;
  const found = await servedEras(ctx);
  const [era] = servedList(found);
  if (!era) {
    const reasons = `[${ERA_VERSION.modern}] ${found.modern.served ? 'served' : found.modern.reason}; [${ERA_VERSION.legacy}] ${found.legacy.served ? 'served' : found.legacy.reason}`;
    if (/\b401\b|unauthori[sz]ed/i.test(reasons))
      return {
        summary: '',
        blocked: `MCP could not be reached without credentials (${reasons}): pass them with --header`,
      };
    failures.push({
      message: `GET ${ready} answered 200, but the MCP endpoint serves neither protocol era: ${reasons}`,
      remediation,
    });
    return { summary: '' };
  }
  const promised = ctx.project?.manifest.start.slowTool?.name;
  return withMcpSession(
    ctx,
    async (result) => {
      if (!result.ok) {
        if (/\b401\b|unauthori[sz]ed/i.test(result.reason))
          return { summary: '', blocked: `tools/list needs credentials (${result.reason}): pass them with --header` };
        failures.push({
          message: `GET ${ready} answered 200, but tools/list in ${ERA_NAME[era]} failed: ${result.reason}`,
          remediation,
        });
        return { summary: '' };
      }
      const names = result.session.tools.map((tool) => tool.name);
      if (names.length === 0) {
        failures.push({
          message: `GET ${ready} answered 200, but tools/list in ${ERA_NAME[era]} listed no tools`,
          remediation,
        });
      } else if (promised && !listedToolName(names, promised)) {
        failures.push({
          message: `GET ${ready} answered 200, but tools/list in ${ERA_NAME[era]} does not list ${promised}, the tool mcp-arch.json names (start.slowTool)`,
          remediation,
        });
      }
      return {
        summary: `; tools/list in ${ERA_NAME[era]} listed ${names.length} tool${names.length === 1 ? '' : 's'}`,
      };
    },
    era,
  );
}

/**
 * When verify started the project and it has an external store: a second instance pointed at
 * a store nothing listens on must stay alive (/health 200) but report not ready (/ready 503).
 * Returns the part of the summary that says what was proven.
 */
async function probeReadinessWithStoreDown(
  ctx: LiveContext,
  health: string,
  ready: string,
  failures: Finding[],
): Promise<string> {
  const manifest = ctx.project?.manifest;
  if (!ctx.local || !manifest) return '';
  const broken = await unreachableStoreEnv(manifest);
  if (!broken) return '';
  const remediation = `Register the session store as a readiness dependency (src/lifecycle/readiness.ts, src/start.ts): ${ready} answers 503 while it is down, ${health} stays 200.`;
  let instance: LocalInstance;
  try {
    instance = await ctx.local.launch(broken);
  } catch (error) {
    failures.push({
      message: `With its ${manifest.store} store unreachable the server did not come up alive: ${(error as Error).message.split('\n')[0]}`,
      remediation,
    });
    return '';
  }
  try {
    const at = (path: string) => probe(ctx, `${instance.url}${path}`);
    const liveness = await at(health);
    const readiness = await at(ready);
    if (liveness.status !== 200)
      failures.push({
        message: `With the ${manifest.store} store unreachable, GET ${health} answered ${liveness.status}, not 200 (liveness must not depend on the store)`,
        remediation,
      });
    if (readiness.status !== 503)
      failures.push({
        message: `With the ${manifest.store} store unreachable, GET ${ready} answered ${readiness.status}, not 503`,
        remediation,
      });
    return `; with the ${manifest.store} store unreachable, ${ready} answered ${readiness.status} while ${health} answered ${liveness.status}`;
  } finally {
    await instance.stop('SIGTERM', 10_000);
  }
}
