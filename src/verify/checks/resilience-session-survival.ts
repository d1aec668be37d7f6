import type { Client as ModernClient } from '@modelcontextprotocol/client';
import type { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MANIFEST_FILE } from '../../core/manifest.js';
import { patternFor } from '../../patterns/index.js';
import {
  checklistItem,
  conclude,
  notApplicable,
  skipped,
  type Check,
  type CheckOutcome,
  type Finding,
  type LiveContext,
  type LocalInstance,
  type StaticContext,
} from '../check.js';
import { replicas } from '../readers/replicas.js';
import { liveTarget } from '../runtime/context.js';
import { clientReason, ERA_VERSION, eraClient, servedEras } from '../runtime/eras.js';
import { MCP_POST_HEADERS, PROBE_TIMEOUT_MS, probe, UnreachableError } from '../runtime/http.js';
import { eraRequest } from '../runtime/mcp.js';
import { startNginx, startRoundRobin, upstreamOf, UPSTREAM_HEADER, type Balancer } from '../runtime/proxy.js';

/** Where a project keeps its load balancer's config, when it has one. */
const NGINX_CONF = 'deploy/nginx/nginx.conf';
/** Sessions and streams opened per era: enough that the killed replica served some of them. */
const PER_ERA = 4;
/** How long a stream cut by the kill may take to notice it, and a call after the kill to answer. */
const AFTER_KILL_MS = 5_000;

/** One client of the probe: its era, the replica that served it first, and how to exercise it. */
interface Opened {
  era: 'legacy' | 'modern';
  servedBy: string | undefined;
  /** Why it failed before any replica was killed (the balancer sent its requests to a replica that did not know it). */
  early?: string;
  /** After `victim` was killed: true when it still works (a call answered, or a stream open or re-opened with its ack). */
  survives(victim: string): Promise<boolean>;
  close(): Promise<void>;
}

export const resilienceSessionSurvival: Check = {
  item: checklistItem('resilience.session-survival'),
  async static(ctx) {
    const { manifest } = ctx;
    const instances = await replicas(ctx);
    if (instances.max <= 1) return notApplicable(`The project runs one instance (${manifest.instances.why})`);
    const why = instances.evidence.join('; ');
    const failures: Finding[] = [];
    if (manifest.store === 'memory' && !(manifest.instances.perInvocation && manifest.sessionMode === 'stateless')) {
      const pattern = patternFor(manifest.pattern);
      failures.push({
        message: `The memory store is per process, but up to ${instances.max} instances are declared (${why}): a session dies with the replica that holds it, and the others do not know it`,
        file: MANIFEST_FILE,
        line: await ctx.lineOf(MANIFEST_FILE, '"store"'),
        remediation: `Regenerate with a shared store (--store ${pattern.stores.find((store) => store !== 'memory') ?? 'redis'}), or run one instance.`,
      });
    }
    const shared =
      manifest.store === 'memory'
        ? 'keep no session state between requests (stateless)'
        : `share sessions through the ${manifest.store} store`;
    return conclude(`Up to ${instances.max} instances (${why}) ${shared}`, { failures });
  },
  async live(ctx) {
    if (ctx.replicas && ctx.replicas.length > 0) return acrossDeployment(ctx, ctx.replicas);
    const project = ctx.project;
    if (!project) {
      return skipped(
        `Which replicas serve ${ctx.url} is unknown: pass --replica <url> for each replica behind it (at least two)`,
      );
    }
    if ((await replicas(project)).max <= 1) return notApplicable('One instance: no replica to lose');
    if (!ctx.local) {
      return notApplicable(
        'Against a deployment, pass --replica <url> for each replica behind --url (at least two); or run --live without --url so verify starts two replicas and kills one',
      );
    }
    return afterKill(ctx, project);
  },
};

/**
 * `--replica` (with `--url`): one 2025 session opened on the first replica must answer on every
 * replica, a DELETE on the second must end it on all the others (404), and a 2026-07-28
 * `subscriptions/listen` stream must be acknowledged by every replica. Nothing is killed.
 */
async function acrossDeployment(ctx: LiveContext, given: readonly string[]): Promise<CheckOutcome> {
  if (given.length < 2) {
    return skipped(
      `One --replica (${given[0]}) cannot show a session moving between replicas: pass --replica for at least two`,
    );
  }
  const targets = given.map((replica) => ({
    replica,
    ctx: { ...ctx, ...liveTarget(new URL(replica), ctx.project?.manifest.start) } as LiveContext,
  }));
  const [first, second] = targets as [(typeof targets)[0], (typeof targets)[0]];
  const failures: Finding[] = [];
  const parts: string[] = [];
  const notes: string[] = [];

  // 2025: one session, used on every replica in turn, then ended on the second.
  const { client, transport } = eraClient('legacy', first.ctx, first.ctx.fetch);
  const legacy = transport as LegacyTransport;
  client.onerror = () => undefined;
  let ended = false;
  try {
    try {
      await client.connect(transport, { timeout: PROBE_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof UnreachableError) throw error;
      notes.push(`no 2025 session on ${first.replica} (${clientReason(error)})`);
    }
    const sessionId = legacy.sessionId;
    if (!sessionId) {
      if (notes.length === 0) notes.push('2025 clients are served without sessions');
    } else {
      const headers = {
        ...MCP_POST_HEADERS,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': legacy.protocolVersion ?? ERA_VERSION.legacy,
      };
      const list = (target: (typeof targets)[0], id: number) =>
        probe(target.ctx, target.ctx.mcpUrl, {
          method: 'POST',
          headers,
          body: eraRequest('legacy', id, 'tools/list', {}).body,
        });
      let answered = 0;
      for (const [index, target] of targets.entries()) {
        const response = await list(target, 100 + index);
        if (response.status === 200 && /"result"/.test(response.body)) answered++;
        else
          failures.push({
            message: `The 2025 session opened on ${first.replica} got ${response.status} from ${target.replica}: that replica does not know the session`,
            remediation:
              'Keep session records in a store every replica reads (REDIS_URL / DATABASE_URL pointing at one shared service), so any replica can rebuild a session from its record.',
          });
      }
      parts.push(`one 2025 session answered on ${answered} of ${targets.length} replicas`);
      const deleted = await probe(second.ctx, second.ctx.mcpUrl, {
        method: 'DELETE',
        headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': headers['mcp-protocol-version'] },
      });
      if (deleted.status >= 300) {
        failures.push({
          message: `DELETE of the session on ${second.replica} answered ${deleted.status}, not 2xx`,
          remediation: 'Let DELETE end a session on any replica: delete its record from the shared store.',
        });
      } else {
        ended = true;
        const others = targets.filter((target) => target !== second);
        let gone = 0;
        for (const [index, target] of others.entries()) {
          const response = await list(target, 200 + index);
          if (response.status === 404) gone++;
          else
            failures.push({
              message: `After DELETE on ${second.replica}, ${target.replica} still answered the session with ${response.status}, not 404`,
              remediation:
                'A replica must look the session up in the shared store on every request and drop its own copy when the record is gone.',
            });
        }
        parts.push(`DELETE on ${second.replica} ended it on ${gone} of ${others.length} others`);
      }
    }
  } finally {
    if (!ended && legacy.sessionId) await legacy.terminateSession().catch(() => undefined);
    await client.close().catch(() => undefined);
  }

  // 2026-07-28: a subscriptions/listen stream acknowledged by every replica.
  const acked: string[] = [];
  const refused: string[] = [];
  for (const target of targets) {
    const modern = eraClient('modern', target.ctx, target.ctx.fetch);
    const listener = modern.client as ModernClient;
    listener.onerror = () => undefined;
    try {
      await listener.connect(modern.transport, { timeout: PROBE_TIMEOUT_MS });
      const subscription = await listener.listen({ toolsListChanged: true }, { timeout: PROBE_TIMEOUT_MS });
      acked.push(target.replica);
      await subscription.close().catch(() => undefined);
    } catch (error) {
      refused.push(`${target.replica} (${clientReason(error)})`);
    } finally {
      await listener.close().catch(() => undefined);
    }
  }
  if (acked.length > 0) {
    parts.push(`subscriptions/listen acknowledged on ${acked.length} of ${targets.length} replicas`);
    for (const replica of refused)
      failures.push({
        message: `A subscriptions/listen stream was acknowledged on ${acked[0]} but not on ${replica}`,
        remediation: 'Serve MCP 2026-07-28 on every replica: run the same release everywhere.',
      });
  } else {
    notes.push('no replica acknowledged a 2026-07-28 subscriptions/listen stream');
  }

  if (parts.length === 0) {
    return skipped(`Nothing to carry across the replicas: ${notes.join('; ')}`);
  }
  const summary = `Across ${targets.length} replicas: ${parts.join('; ')}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
  return conclude(summary, { failures }, `${summary}: ${failures[0]?.message ?? ''}`);
}

/**
 * `--live`: two replicas of the project with its own store behind a balancer with no cookie
 * affinity; sessions (2025, stateful) and `subscriptions/listen` streams (2026-07-28) opened
 * through it; the replica that served the most of them killed (SIGKILL, its process group);
 * then each must still work through the balancer.
 */
async function afterKill(ctx: LiveContext, project: StaticContext): Promise<CheckOutcome> {
  const local = ctx.local;
  if (!local) return skipped('verify did not start the project');
  const eras = await servedEras(ctx);
  const legacySessions = eras.legacy.served && project.manifest.sessionMode === 'stateful';
  // Streams count only where one instance alone acknowledges them: a refusal there is not about replicas.
  const noStreams = eras.modern.served ? await listenRefusal(ctx) : 'MCP 2026-07-28 is not served';
  const streams = noStreams === undefined;
  if (!legacySessions && !streams) {
    return skipped(
      `Nothing to carry across replicas: no 2025 sessions (${eras.legacy.served ? 'SESSION_MODE is stateless' : '2025 is not served'}) and no subscriptions/listen stream (${noStreams})`,
    );
  }
  const started: LocalInstance[] = [];
  let balancer: Balancer | undefined;
  const opened: Opened[] = [];
  try {
    // One at a time, so a second that fails to start leaves the first to be stopped below.
    started.push(await local.launch());
    started.push(await local.launch());
    const upstreams = started.map((instance) => instance.url);
    const { balancer: running, note } = await startBalancer(project, upstreams, local.env ?? process.env);
    balancer = running;
    const via = viaBalancer(ctx, balancer.url);
    for (let index = 0; index < PER_ERA; index++) {
      if (legacySessions) opened.push(await openLegacy(via));
      if (streams) opened.push(await openListen(via));
    }
    const served = new Map<string, number>();
    for (const client of opened) {
      if (client.servedBy) served.set(client.servedBy, (served.get(client.servedBy) ?? 0) + 1);
    }
    const [victimUrl, onVictim = 0] = [...served.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
    const victim = started.find((instance) => instance.url === victimUrl);
    if (!victim || onVictim === 0) {
      return skipped(
        `No session or stream could be opened through ${balancer.description}, so losing a replica proved nothing`,
      );
    }
    await victim.stop('SIGKILL', 5_000);
    const results = await Promise.all(opened.map((client) => client.survives(victim.url).catch(() => false)));
    const count = (era: Opened['era']) => {
      const ofEra = opened.flatMap((client, index) => (client.era === era ? [results[index]] : []));
      return { total: ofEra.length, alive: ofEra.filter(Boolean).length };
    };
    const legacy = count('legacy');
    const modern = count('modern');
    const survived = legacy.alive + modern.alive;
    const total = opened.length;
    const parts = [
      ...(legacy.total > 0 ? [`${legacy.alive} of ${legacy.total} 2025 sessions answered`] : []),
      ...(modern.total > 0
        ? [`${modern.alive} of ${modern.total} subscriptions/listen streams re-opened with their ack`]
        : []),
    ];
    const setup = `two replicas behind ${balancer.description}${note ? ` (${note})` : ''}, the one that served ${onVictim} of ${total} killed`;
    const summary = `${survived} of ${total} sessions survived (${parts.join('; ')}), ${setup}`;
    if (survived === total) return { status: 'pass', summary, findings: [] };
    return {
      status: 'fail',
      summary,
      findings: [
        ...earlyFindings(opened),
        {
          message: `${survived} of ${total} sessions survived the loss of a replica (${parts.join('; ')}): the other replica did not carry on what the killed one served`,
          remediation: `Keep session records in the shared store (${project.manifest.store === 'memory' ? 'regenerate with --store redis' : `the ${project.manifest.store} store`}) so any replica can rebuild a session from its record, and check that every replica reads the same store (REDIS_URL / DATABASE_URL).`,
        },
      ],
    };
  } finally {
    await Promise.all(opened.map((client) => client.close().catch(() => undefined)));
    await balancer?.close();
    await Promise.all(started.map((instance) => instance.stop('SIGTERM', 5_000).catch(() => undefined)));
  }
}

/** One finding per era for what failed before the kill: already then, a second replica did not know the session. */
function earlyFindings(opened: readonly Opened[]): Finding[] {
  const findings: Finding[] = [];
  for (const era of ['legacy', 'modern'] as const) {
    const early = opened.filter((client) => client.era === era && client.early !== undefined);
    if (early.length === 0) continue;
    const what = era === 'legacy' ? '2025 sessions' : 'subscriptions/listen streams';
    findings.push({
      message: `${early.length} of ${opened.filter((client) => client.era === era).length} ${what} failed through the balancer before any replica was lost, with both replicas up (${early[0]?.early})`,
      remediation:
        'A request of a session may reach any replica: keep session records in the shared store and rebuild an unknown session from its record instead of answering 404.',
    });
  }
  return findings;
}

/** The project's nginx.conf where it has one and nginx runs it; else the round-robin proxy, and why. */
async function startBalancer(
  project: StaticContext,
  upstreams: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ balancer: Balancer; note?: string }> {
  const config = await project.readFile(NGINX_CONF).catch(() => undefined);
  if (config === undefined) return { balancer: await startRoundRobin(upstreams) };
  const nginx = await startNginx(config, upstreams, env);
  if ('balancer' in nginx) return { balancer: nginx.balancer };
  return { balancer: await startRoundRobin(upstreams), note: `not ${NGINX_CONF}: ${nginx.reason}` };
}

/** The same probes, sent through the balancer; credentials and endpoints as for the project. */
function viaBalancer(ctx: LiveContext, origin: string): LiveContext {
  const target = liveTarget(new URL(origin), ctx.project?.manifest.start);
  return { ...ctx, ...target };
}

/** A fetch that remembers which replica answered the first and the latest response. */
function recording(ctx: LiveContext): {
  fetch: typeof globalThis.fetch;
  first(): string | undefined;
  latest(): string | undefined;
} {
  let first: string | undefined;
  let latest: string | undefined;
  return {
    fetch: async (input, init) => {
      const response = await ctx.fetch(input, {
        ...init,
        signal: init?.signal ?? AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      latest = upstreamOf(response.headers.get(UPSTREAM_HEADER)) ?? latest;
      first ??= latest;
      return response;
    },
    first: () => first,
    latest: () => latest,
  };
}

/** Why the instance verify started does not acknowledge a `subscriptions/listen` stream; undefined when it does. */
async function listenRefusal(ctx: LiveContext): Promise<string | undefined> {
  const { client: anyClient, transport } = eraClient('modern', ctx, ctx.fetch);
  const client = anyClient as ModernClient;
  client.onerror = () => undefined;
  try {
    await client.connect(transport, { timeout: PROBE_TIMEOUT_MS });
    const subscription = await client.listen({ toolsListChanged: true }, { timeout: PROBE_TIMEOUT_MS });
    await subscription.close().catch(() => undefined);
    return undefined;
  } catch (error) {
    if (error instanceof UnreachableError) throw error;
    return `the server refuses it: ${clientReason(error)}`;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** A session or stream that failed before any replica was lost: it cannot survive, and the report says why. */
function brokenEarly(era: Opened['era'], servedBy: string | undefined, error: unknown): Opened {
  return {
    era,
    servedBy,
    early: clientReason(error),
    survives: async () => false,
    close: async () => undefined,
  };
}

/** A 2025 session through the balancer: initialize, then `tools/list` inside it after the kill. */
async function openLegacy(via: LiveContext): Promise<Opened> {
  const recorder = recording(via);
  const { client, transport } = eraClient('legacy', via, recorder.fetch);
  const legacy = transport as LegacyTransport;
  // The client's own GET stream reconnects on its own; its errors are not the probe's.
  client.onerror = () => undefined;
  try {
    await client.connect(transport, { timeout: PROBE_TIMEOUT_MS });
  } catch (error) {
    if (error instanceof UnreachableError) throw error;
    await client.close().catch(() => undefined);
    return brokenEarly('legacy', recorder.first(), error);
  }
  const sessionId = legacy.sessionId;
  return {
    era: 'legacy',
    // The replica that answered initialize created the session.
    servedBy: recorder.first(),
    async survives() {
      if (!sessionId) return false;
      await client.listTools({}, { timeout: AFTER_KILL_MS });
      return true;
    },
    async close() {
      await legacy.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

/** A 2026-07-28 `subscriptions/listen` stream through the balancer; after the kill, it is open or re-opens with its ack. */
async function openListen(via: LiveContext): Promise<Opened> {
  const recorder = recording(via);
  const { client: anyClient, transport } = eraClient('modern', via, recorder.fetch);
  const client = anyClient as ModernClient;
  client.onerror = () => undefined;
  await client.connect(transport, { timeout: PROBE_TIMEOUT_MS });
  const listen = () => client.listen({ toolsListChanged: true }, { timeout: PROBE_TIMEOUT_MS });
  let subscription: Awaited<ReturnType<typeof listen>>;
  try {
    subscription = await listen();
  } catch (error) {
    if (error instanceof UnreachableError) throw error;
    await client.close().catch(() => undefined);
    return brokenEarly('modern', recorder.latest(), error);
  }
  // The listen request was the latest: its replica holds the stream.
  const servedBy = recorder.latest();
  return {
    era: 'modern',
    servedBy,
    async survives(victim) {
      // A stream on the killed replica ends at once; one on the other has a moment to prove it stays open.
      const wait = servedBy === victim ? AFTER_KILL_MS : 500;
      const ended = await Promise.race([
        subscription.closed,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), wait).unref()),
      ]);
      if (ended === undefined) return true;
      subscription = await listen();
      return true;
    },
    async close() {
      await subscription.close().catch(() => undefined);
      await client.close();
    },
  };
}
