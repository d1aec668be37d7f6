import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  checklistItem,
  conclude,
  notApplicable,
  skipped,
  type Check,
  type CheckOutcome,
  type Finding,
  type LiveContext,
} from '../check.js';
import { DOCKERFILE, dockerfile } from '../readers/dockerfile.js';
import { appContainers, k8sObjects } from '../readers/k8s.js';
import { dig } from '../readers/records.js';
import { balancedArgs, ENTRY_FILE, findAll, findFirst, sources, type SourceFile } from '../readers/source.js';
import { MANIFEST_FILE } from '../../core/manifest.js';
import { toolInfo } from '../../core/tool-info.js';
import { sleep } from '../runtime/http.js';
import { notStartedByVerify } from '../runtime/context.js';
import { listedToolName } from '../runtime/mcp.js';
import { OWN_INSTANCE_ENV } from '../runtime/local.js';

const SHUTDOWN_FILE = 'src/lifecycle/shutdown.ts';

/** A call that starts draining rather than ending the process on the spot. */
const DRAIN_CALL = /\b\w*(?:drain|shutdown|shutDown|stop|close|terminate)\w*\s*\(/i;

export const resilienceGracefulShutdown: Check = {
  item: checklistItem('resilience.graceful-shutdown'),
  ownInstances: true,
  live: probeGracefulShutdown,
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const code = await sources(ctx);
    const entry = code.find((file) => file.file === ENTRY_FILE);
    const docker = await dockerfile(ctx);

    if (!entry && !docker && ctx.manifest.instances.perInvocation) {
      return notApplicable(
        'Serverless functions hold no server process: the platform freezes and retires instances between invocations',
      );
    }

    const handler = sigtermHandler(code);
    if (!handler) {
      failures.push({
        message: 'No SIGTERM handler: an orchestrator stop kills in-flight tool calls',
        file: ENTRY_FILE,
        remediation: `In ${ENTRY_FILE}, handle SIGTERM (and SIGINT) by draining: flip readiness to 503, stop accepting, finish in-flight requests, then exit 0 (${SHUTDOWN_FILE}).`,
      });
    } else {
      const withoutExit = handler.body.replace(/process\s*\.\s*exit\s*\([^)]*\)/g, '');
      if (!DRAIN_CALL.test(withoutExit)) {
        failures.push({
          message: 'The SIGTERM handler exits without draining',
          file: handler.file,
          line: handler.line,
          remediation: `Call the drain routine (${SHUTDOWN_FILE}) from the SIGTERM handler in ${handler.file} and exit only when it resolves.`,
        });
      }
      const stopsAccepting = findFirst(code, /\b\w*[sS]erver\s*\.\s*close\s*\(/);
      if (!stopsAccepting) {
        failures.push({
          message: 'The server is never closed on shutdown: new connections keep being accepted while draining',
          file: SHUTDOWN_FILE,
          remediation: `Call server.close() when draining (wired into ${SHUTDOWN_FILE}).`,
        });
      }
      if (!findFirst(code, /startDraining\s*\(|\b(?:draining|isDraining|shuttingDown|stopping)\s*=\s*true/)) {
        warnings.push({
          message: 'Nothing takes the instance out of rotation (readiness 503) before it closes',
          file: SHUTDOWN_FILE,
          remediation: `Flip readiness to 503 at the start of the drain in ${SHUTDOWN_FILE}, so load balancers stop routing to it.`,
        });
      }
      if (!findFirst(code, /\binflight\b|\binFlight\w*|\bpendingRequests\b|\bidle\s*\(/i)) {
        warnings.push({
          message: 'Shutdown does not visibly wait for in-flight requests',
          file: SHUTDOWN_FILE,
          remediation: `Track in-flight requests and wait for them to finish in ${SHUTDOWN_FILE} before exiting.`,
        });
      }
      const drainFile =
        code.find((file) => file.file === SHUTDOWN_FILE) ?? code.find((file) => file.file === handler.file);
      if (drainFile && !/setTimeout|AbortSignal\.timeout|timeout/i.test(drainFile.code)) {
        warnings.push({
          message: `${drainFile.file} has no drain deadline: a stuck request blocks shutdown until the orchestrator kills the process`,
          file: drainFile.file,
          remediation: `Bound the drain with a timeout below the orchestrator's grace period in ${drainFile.file}.`,
        });
      }
    }

    if (docker) {
      const cmd = [...docker]
        .reverse()
        .find((instruction) => instruction.keyword === 'CMD' || instruction.keyword === 'ENTRYPOINT');
      if (cmd && !cmd.args.startsWith('[')) {
        failures.push({
          message: `The Dockerfile ${cmd.keyword} uses the shell form: SIGTERM goes to /bin/sh, not to node, and the server is killed without draining`,
          file: DOCKERFILE,
          line: cmd.line,
          remediation: `Use the exec form in ${DOCKERFILE}: ${cmd.keyword} ["node", "dist/index.js"].`,
        });
      } else if (cmd && /"(?:npm|yarn|pnpm)"/.test(cmd.args)) {
        warnings.push({
          message: 'The Dockerfile starts the server through a package manager, which may not forward SIGTERM',
          file: DOCKERFILE,
          line: cmd.line,
          remediation: `Start node directly in ${DOCKERFILE}: CMD ["node", "dist/index.js"].`,
        });
      }
    }

    for (const { workload } of appContainers(await k8sObjects(ctx))) {
      const grace = dig(workload.body, 'spec', 'template', 'spec', 'terminationGracePeriodSeconds');
      if (typeof grace === 'number' && grace < 10) {
        warnings.push({
          message: `${workload.kind} ${workload.name} allows only ${grace}s to drain`,
          file: workload.file,
          line: workload.line,
          remediation: `Raise terminationGracePeriodSeconds above the drain timeout in ${workload.file}.`,
        });
      }
    }

    return conclude(
      'SIGTERM drains: readiness goes 503, the server stops accepting and in-flight requests finish before exit',
      { failures, warnings },
    );
  },
};

/**
 * The code that runs on SIGTERM: an inline listener, or the body of the named function passed
 * to `process.on('SIGTERM', name)` (also when registered in a loop over signal names).
 */
function sigtermHandler(code: readonly SourceFile[]): { file: string; line: number; body: string } | undefined {
  for (const call of findAll(code, /process\s*\.\s*(?:on|once|addListener|prependListener)\s*\(/)) {
    const file = code.find((candidate) => candidate.file === call.file) as SourceFile;
    const args = balancedArgs(file.code, file.code.indexOf('(', call.index)) ?? '';
    const direct = /^\s*['"]SIGTERM['"]/.test(args);
    const looped =
      /^\s*(?:signal|sig|name|event)\s*,/.test(args) &&
      /['"]SIGTERM['"]/.test(file.code.slice(Math.max(0, call.index - 300), call.index));
    if (!direct && !looped) continue;
    const listener = args.slice(args.indexOf(',') + 1).trim();
    const named = /^([A-Za-z_$][\w$]*)\s*$/.exec(listener)?.[1];
    let body = listener;
    if (named) {
      const declaration = new RegExp(`function\\s+${named}\\s*\\(|(?:const|let)\\s+${named}\\s*=`).exec(file.code);
      if (declaration) {
        const open = file.code.indexOf('{', declaration.index);
        body = open >= 0 ? (balancedArgs(file.code, open) ?? listener) : listener;
      }
    }
    return { file: call.file, line: call.line, body };
  }
  return undefined;
}

/** Time between starting the slow call and SIGTERM: long enough for the call to be in flight. */
const SIGTERM_AFTER_MS = 300;

/**
 * Starts a fresh instance, begins the manifest's slow tool call, sends SIGTERM while it runs,
 * and expects the call to complete and the process to exit 0.
 */
export async function probeGracefulShutdown(ctx: LiveContext): Promise<CheckOutcome> {
  const local = ctx.local;
  if (!local) return notStartedByVerify(ctx, 'Sending SIGTERM');
  const slow = ctx.project?.manifest.start.slowTool;
  if (!slow) return skipped(`${MANIFEST_FILE} names no "start.slowTool" to keep a call in flight at SIGTERM`);
  const instance = await local.launch({ ...OWN_INSTANCE_ENV });
  const mcpPath = ctx.project?.manifest.start.mcpPath ?? '/mcp';
  const client = new Client({ name: 'mcp-arch-verify', version: toolInfo().version });
  const transport = new StreamableHTTPClientTransport(new URL(`${instance.url}${mcpPath}`), {
    requestInit: { headers: { ...ctx.headers } },
  });
  const failures: Finding[] = [];
  const remediation =
    'On SIGTERM, stop accepting, let in-flight requests finish (bounded by SHUTDOWN_TIMEOUT_MS), then exit 0 (src/lifecycle/shutdown.ts, src/index.ts).';
  try {
    await client.connect(transport, { timeout: 10_000 });
    const { tools } = await client.listTools({}, { timeout: 10_000 });
    const listed = listedToolName(
      tools.map((tool) => tool.name),
      slow.name,
    );
    if (!listed) {
      return skipped(
        `The slow tool ${slow.name} named in ${MANIFEST_FILE} "start.slowTool" is not listed by the server`,
      );
    }
    const began = Date.now();
    const call = client.callTool({ name: listed, arguments: slow.arguments }, undefined, { timeout: 30_000 }).then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error: error as Error }),
    );
    await sleep(SIGTERM_AFTER_MS);
    const exit = instance.stop('SIGTERM', 30_000);
    const outcome = await call;
    const exited = await exit;
    const tookMs = Date.now() - began;
    if (!outcome.ok) {
      failures.push({
        message: `The ${slow.name} call in flight at SIGTERM did not complete: ${outcome.error.message}`,
        remediation,
      });
    } else if (outcome.result.isError) {
      failures.push({ message: `The ${slow.name} call in flight at SIGTERM ended with a tool error`, remediation });
    }
    if (exited.code !== 0) {
      failures.push({
        message: `After SIGTERM the process exited with ${exited.code ?? exited.signal}, not 0`,
        remediation,
      });
    }
    return conclude(`A ${slow.name} call in flight at SIGTERM completed (${tookMs} ms) and the process exited 0`, {
      failures,
    });
  } finally {
    await client.close().catch(() => undefined);
    await instance.stop('SIGKILL', 5_000);
  }
}
