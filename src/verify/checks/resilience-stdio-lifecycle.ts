import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
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
import { ENV_EXAMPLE, envExample } from '../readers/env.js';
import { isRecord } from '../readers/records.js';
import { liveTarget, notStartedByVerify } from '../runtime/context.js';
import { clientReason, ERA_VERSION, eraClient, servedEras, type Era } from '../runtime/eras.js';
import { PROBE_TIMEOUT_MS, sleep } from '../runtime/http.js';
import { harmlessTool, sampleArguments } from '../runtime/mcp.js';
import { OWN_INSTANCE_ENV } from '../runtime/local.js';

/** The variable that closes sessions nobody uses, and with them their backend processes. */
export const IDLE_TIMEOUT_ENV = 'SESSION_IDLE_TIMEOUT_MS';
/** The idle timeout the probe runs the server with: short, so the wait stays bounded. */
const PROBE_IDLE_TIMEOUT_MS = 2_000;
/** Beyond the idle timeout: the server's sweep interval and a process's own exit. */
const REAP_GRACE_MS = 4_000;
/** Sessions opened and dropped by the probe. */
const SESSIONS = 3;
/** The separator of namespaced names (`<prefix>__<tool>`) in the servers file's aggregation. */
const SEPARATOR = '__';

/** A stdio backend of a servers file: how its tools are named, and what bounds its processes. */
interface StdioServer {
  name: string;
  prefix: string;
  maxSessions?: number;
}

/** The servers files (an `mcpServers` object) among the files the project needs, with their stdio backends. */
async function serversFiles(ctx: StaticContext): Promise<{ file: string; stdio: StdioServer[] }[]> {
  const out: { file: string; stdio: StdioServer[] }[] = [];
  for (const { file } of ctx.manifest.requiredFiles) {
    if (!file.endsWith('.json')) continue;
    let json: unknown;
    try {
      json = JSON.parse((await ctx.readFile(file)) ?? 'null');
    } catch {
      continue;
    }
    if (!isRecord(json) || !isRecord(json.mcpServers)) continue;
    const stdio: StdioServer[] = [];
    for (const [name, server] of Object.entries(json.mcpServers)) {
      if (!isRecord(server) || typeof server.command !== 'string' || server.enabled === false) continue;
      stdio.push({
        name,
        prefix: typeof server.prefix === 'string' ? server.prefix : name,
        ...(typeof server.maxSessions === 'number' ? { maxSessions: server.maxSessions } : {}),
      });
    }
    out.push({ file, stdio });
  }
  return out;
}

export const resilienceStdioLifecycle: Check = {
  item: checklistItem('resilience.stdio-lifecycle'),
  ownInstances: true,
  async static(ctx) {
    const files = await serversFiles(ctx);
    const withStdio = files.filter((entry) => entry.stdio.length > 0);
    if (withStdio.length === 0) {
      return notApplicable(
        files.length > 0
          ? `No stdio backend in ${files.map((entry) => entry.file).join(', ')}: no process is started per session`
          : 'No servers file among the files the project needs: no stdio backend',
      );
    }
    const warnings: Finding[] = [];
    const env = await envExample(ctx);
    if (!env?.has(IDLE_TIMEOUT_ENV)) {
      warnings.push({
        message: `${ENV_EXAMPLE} does not set ${IDLE_TIMEOUT_ENV}: sessions dropped without DELETE keep their stdio processes until the default timeout`,
        file: ENV_EXAMPLE,
        remediation: `Add ${IDLE_TIMEOUT_ENV} to ${ENV_EXAMPLE} (and the deployed environments) with how long an unused session, and its backend processes, may live.`,
      });
    }
    const backends = withStdio.flatMap(({ file, stdio }) =>
      stdio.map(
        (server) =>
          `${server.name} in ${file}: ${server.maxSessions === undefined ? 'maxSessions not set, the default cap applies' : `at most ${server.maxSessions} processes`}`,
      ),
    );
    return conclude(`Stdio backends (${backends.join('; ')}); unused sessions end after ${IDLE_TIMEOUT_ENV}`, {
      failures: [],
      warnings,
    });
  },
  async live(ctx) {
    if (!ctx.local) return notStartedByVerify(ctx, 'Counting the stdio backend processes');
    const project = ctx.project;
    if (!project) return skipped('No project to read the servers file from');
    const stdio = (await serversFiles(project)).flatMap((entry) => entry.stdio);
    if (stdio.length === 0) return notApplicable('No stdio backend to count');
    // 2025 sessions where served (each may hold backend processes of its own), else 2026-07-28 clients.
    const era: Era = (await servedEras(ctx)).legacy.served ? 'legacy' : 'modern';
    const instance = await ctx.local.launch({ ...OWN_INSTANCE_ENV, [IDLE_TIMEOUT_ENV]: String(PROBE_IDLE_TIMEOUT_MS) });
    try {
      return await reaping(ctx, instance, stdio, era);
    } finally {
      await instance.stop('SIGTERM', 10_000);
    }
  },
};

/**
 * Counts the server's descendant processes at rest, opens sessions that each call a tool of a
 * stdio backend, drops them without DELETE, kills one backend process, and waits (the idle
 * timeout shortened) until every process started for them is gone.
 */
async function reaping(
  ctx: LiveContext,
  instance: LocalInstance,
  stdio: StdioServer[],
  era: Era,
): Promise<CheckOutcome> {
  const target = { ...ctx, ...liveTarget(new URL(instance.url), ctx.project?.manifest.start) } as LiveContext;
  const baseline = await settled(instance.pid);
  const clients: ProbeClient[] = [];
  let tool: Tool | undefined;
  let peak = baseline.size;
  try {
    for (let index = 0; index < SESSIONS; index++) {
      const { client: anyClient, transport } = eraClient(era, target, target.fetch);
      const client = anyClient as unknown as ProbeClient;
      client.onerror = () => undefined;
      clients.push(client);
      try {
        await client.connect(transport, { timeout: PROBE_TIMEOUT_MS });
      } catch (error) {
        return skipped(`Could not open a ${ERA_VERSION[era]} session on the started server: ${clientReason(error)}`);
      }
      if (!tool) {
        const prefixes = stdio.map((server) => `${server.prefix}${SEPARATOR}*`).join(', ');
        const ofStdio = stdioTools((await client.listTools({}, { timeout: PROBE_TIMEOUT_MS })).tools as Tool[], stdio);
        if (ofStdio.length === 0) {
          return notApplicable(
            `The server verify starts serves no tool of the stdio backends (${prefixes}): another program starts them`,
          );
        }
        tool = harmlessTool(ofStdio);
        if (!tool) return skipped(`No read-only tool of a stdio backend (${prefixes}) to call`);
      }
      const call = { name: tool.name, arguments: sampleArguments(tool) };
      const bounded = { timeout: PROBE_TIMEOUT_MS };
      // The v1 client takes a result schema before the options; the v2 client takes the options.
      if (era === 'legacy') await client.callTool(call, undefined, bounded);
      else await client.callTool(call, bounded);
      peak = Math.max(peak, (await descendants(instance.pid)).size);
    }
  } finally {
    // Dropped without DELETE: the connections close, the sessions stay until the server reaps them.
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  }

  const during = await descendants(instance.pid);
  const started = [...during].filter((pid) => !baseline.has(pid));
  const victim = started[0] ?? [...during][0];
  if (victim !== undefined) {
    try {
      process.kill(victim, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + PROBE_IDLE_TIMEOUT_MS + REAP_GRACE_MS;
  let left = [...(await descendants(instance.pid))].filter((pid) => !baseline.has(pid));
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(200);
    left = [...(await descendants(instance.pid))].filter((pid) => !baseline.has(pid));
  }
  const waited = `${((PROBE_IDLE_TIMEOUT_MS + REAP_GRACE_MS) / 1000).toFixed(0)} s`;
  const counts = `${baseline.size} child processes at rest, ${peak} with ${SESSIONS} ${ERA_VERSION[era]} sessions calling ${tool?.name}`;
  const killed = victim === undefined ? 'no backend process to kill' : `backend process ${victim} killed`;
  if (left.length === 0) {
    return {
      status: 'pass',
      summary: `${counts}; dropped without DELETE, ${killed}: back to ${baseline.size} within ${waited} (${IDLE_TIMEOUT_ENV}=${PROBE_IDLE_TIMEOUT_MS})`,
      findings: [],
    };
  }
  const message = `${left.length} process${left.length === 1 ? '' : 'es'} started for dropped sessions still ran ${waited} after they were dropped (${IDLE_TIMEOUT_ENV}=${PROBE_IDLE_TIMEOUT_MS}): ${counts}, ${baseline.size + left.length} now`;
  return {
    status: 'fail',
    summary: message,
    findings: [
      {
        message,
        remediation: `Close a session nobody used for ${IDLE_TIMEOUT_ENV}, and with it the stdio backend processes it started; reap a backend process that exits on its own.`,
      },
    ],
  };
}

/** The tools served by one of the stdio backends (by their prefix). */
function stdioTools(tools: Tool[], stdio: StdioServer[]): Tool[] {
  return tools.filter((tool) =>
    stdio.some((server) => server.prefix === '' || tool.name.startsWith(`${server.prefix}${SEPARATOR}`)),
  );
}

/** What the probe needs of a client of either era. */
interface ProbeClient {
  onerror?: (error: Error) => void;
  connect(transport: unknown, options: { timeout: number }): Promise<void>;
  listTools(params: Record<string, never>, options: { timeout: number }): Promise<{ tools: unknown[] }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }, ...rest: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

/** Descendants once their number has held still for a moment (the server starts its shared backends after /health). */
async function settled(pid: number): Promise<Set<number>> {
  let last = await descendants(pid);
  for (let round = 0; round < 15; round++) {
    await sleep(200);
    const now = await descendants(pid);
    if (now.size === last.size && [...now].every((child) => last.has(child))) return now;
    last = now;
  }
  return last;
}

/** Every process below `pid` (children, their children...), exited ones not yet reaped included. */
export async function descendants(pid: number): Promise<Set<number>> {
  const tree = await processTree();
  const found = new Set<number>();
  const walk = (parent: number) => {
    for (const child of tree.get(parent) ?? []) {
      if (found.has(child)) continue;
      found.add(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

/** Parent -> children: from /proc where there is one, else from `ps`. */
async function processTree(): Promise<Map<number, number[]>> {
  const tree = new Map<number, number[]>();
  const add = (parent: number, child: number) => tree.set(parent, [...(tree.get(parent) ?? []), child]);
  const entries = await readdir('/proc').catch(() => undefined);
  if (entries) {
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined);
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last one.
      const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : NaN;
      if (Number.isInteger(ppid)) add(ppid, Number(entry));
    }
    return tree;
  }
  const output = await new Promise<string>((resolve, reject) =>
    execFile('ps', ['-A', '-o', 'pid=,ppid='], (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
  for (const line of output.split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (Number.isInteger(child) && Number.isInteger(parent)) add(parent as number, child as number);
  }
  return tree;
}
