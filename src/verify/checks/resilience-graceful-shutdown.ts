import { checklistItem, conclude, notApplicable, type Check, type Finding } from '../check.js';
import { probeGracefulShutdown } from '../live/shutdown.js';
import { DOCKERFILE, ENTRY_FILE, appContainers, dig, dockerfile, k8sObjects, sources } from '../project.js';
import { balancedArgs, findAll, findFirst, type SourceFile } from '../source.js';

const SHUTDOWN_FILE = 'src/lifecycle/shutdown.ts';

/** A call that starts draining rather than ending the process on the spot. */
const DRAIN_CALL = /\b\w*(?:drain|shutdown|shutDown|stop|close|terminate)\w*\s*\(/i;

export const resilienceGracefulShutdown: Check = {
  item: checklistItem('resilience.graceful-shutdown'),
  live: probeGracefulShutdown,
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const code = await sources(ctx);
    const entry = code.find((file) => file.file === ENTRY_FILE);
    const docker = await dockerfile(ctx);

    if (!entry && !docker && ctx.manifest.pattern === 'serverless') {
      return notApplicable('Serverless functions hold no server process: the platform freezes and retires instances between invocations');
    }

    const handler = sigtermHandler(code);
    if (!handler) {
      failures.push({ message: 'No SIGTERM handler: an orchestrator stop kills in-flight tool calls', file: ENTRY_FILE, remediation: `In ${ENTRY_FILE}, handle SIGTERM (and SIGINT) by draining: flip readiness to 503, stop accepting, finish in-flight requests, then exit 0 (${SHUTDOWN_FILE}).` });
    } else {
      const withoutExit = handler.body.replace(/process\s*\.\s*exit\s*\([^)]*\)/g, '');
      if (!DRAIN_CALL.test(withoutExit)) {
        failures.push({ message: 'The SIGTERM handler exits without draining', file: handler.file, line: handler.line, remediation: `Call the drain routine (${SHUTDOWN_FILE}) from the SIGTERM handler in ${handler.file} and exit only when it resolves.` });
      }
      const stopsAccepting = findFirst(code, /\b\w*[sS]erver\s*\.\s*close\s*\(/);
      if (!stopsAccepting) {
        failures.push({ message: 'The server is never closed on shutdown: new connections keep being accepted while draining', file: SHUTDOWN_FILE, remediation: `Call server.close() when draining (wired into ${SHUTDOWN_FILE}).` });
      }
      if (!findFirst(code, /startDraining\s*\(|\b(?:draining|isDraining|shuttingDown|stopping)\s*=\s*true/)) {
        warnings.push({ message: 'Nothing takes the instance out of rotation (readiness 503) before it closes', file: SHUTDOWN_FILE, remediation: `Flip readiness to 503 at the start of the drain in ${SHUTDOWN_FILE}, so load balancers stop routing to it.` });
      }
      if (!findFirst(code, /\binflight\b|\binFlight\w*|\bpendingRequests\b|\bidle\s*\(/i)) {
        warnings.push({ message: 'Shutdown does not visibly wait for in-flight requests', file: SHUTDOWN_FILE, remediation: `Track in-flight requests and wait for them to finish in ${SHUTDOWN_FILE} before exiting.` });
      }
      const drainFile = code.find((file) => file.file === SHUTDOWN_FILE) ?? code.find((file) => file.file === handler.file);
      if (drainFile && !/setTimeout|AbortSignal\.timeout|timeout/i.test(drainFile.code)) {
        warnings.push({ message: `${drainFile.file} has no drain deadline: a stuck request blocks shutdown until the orchestrator kills the process`, file: drainFile.file, remediation: `Bound the drain with a timeout below the orchestrator's grace period in ${drainFile.file}.` });
      }
    }

    if (docker) {
      const cmd = [...docker].reverse().find((instruction) => instruction.keyword === 'CMD' || instruction.keyword === 'ENTRYPOINT');
      if (cmd && !cmd.args.startsWith('[')) {
        failures.push({ message: `The Dockerfile ${cmd.keyword} uses the shell form: SIGTERM goes to /bin/sh, not to node, and the server is killed without draining`, file: DOCKERFILE, line: cmd.line, remediation: `Use the exec form in ${DOCKERFILE}: ${cmd.keyword} ["node", "dist/index.js"].` });
      } else if (cmd && /"(?:npm|yarn|pnpm)"/.test(cmd.args)) {
        warnings.push({ message: 'The Dockerfile starts the server through a package manager, which may not forward SIGTERM', file: DOCKERFILE, line: cmd.line, remediation: `Start node directly in ${DOCKERFILE}: CMD ["node", "dist/index.js"].` });
      }
    }

    for (const { workload } of appContainers(await k8sObjects(ctx))) {
      const grace = dig(workload.body, 'spec', 'template', 'spec', 'terminationGracePeriodSeconds');
      if (typeof grace === 'number' && grace < 10) {
        warnings.push({ message: `${workload.kind} ${workload.name} allows only ${grace}s to drain`, file: workload.file, line: workload.line, remediation: `Raise terminationGracePeriodSeconds above the drain timeout in ${workload.file}.` });
      }
    }

    return conclude('SIGTERM drains: readiness goes 503, the server stops accepting and in-flight requests finish before exit', { failures, warnings });
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
    const looped = /^\s*(?:signal|sig|name|event)\s*,/.test(args) && /['"]SIGTERM['"]/.test(file.code.slice(Math.max(0, call.index - 300), call.index));
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
