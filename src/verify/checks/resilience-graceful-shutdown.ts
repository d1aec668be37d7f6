import { checklistItem, conclude, notApplicable, type Check, type Finding } from '../check.js';
import { DOCKERFILE, ENTRY_FILE, appContainers, dig, dockerfile, k8sObjects, sources } from '../project.js';
import { balancedArgs, findAll } from '../source.js';

const SHUTDOWN_FILE = 'src/lifecycle/shutdown.ts';

export const resilienceGracefulShutdown: Check = {
  item: checklistItem('resilience.graceful-shutdown'),
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const code = await sources(ctx);
    const entry = code.find((file) => file.file === ENTRY_FILE);
    const docker = await dockerfile(ctx);

    if (!entry && !docker && ctx.manifest.pattern === 'serverless') {
      return notApplicable('Serverless functions hold no server process: the platform freezes and retires instances between invocations');
    }

    const handlers = findAll(code, /process\s*\.\s*(?:on|once|addListener)\s*\(/).filter((call) => {
      const file = code.find((candidate) => candidate.file === call.file);
      const args = file ? (balancedArgs(file.code, file.code.indexOf('(', call.index)) ?? '') : '';
      return /['"]SIGTERM['"]|\bsignal\b/.test(args) && (/SIGTERM/.test(file?.code ?? ''));
    });
    if (handlers.length === 0) {
      failures.push({ message: `No SIGTERM handler: an orchestrator stop kills in-flight tool calls`, file: ENTRY_FILE, remediation: `In ${ENTRY_FILE}, handle SIGTERM (and SIGINT) by draining: flip readiness to 503, stop accepting, finish in-flight requests, then exit 0 (${SHUTDOWN_FILE}).` });
    } else {
      const [handler] = handlers;
      const file = code.find((candidate) => candidate.file === handler?.file);
      const args = file && handler ? (balancedArgs(file.code, file.code.indexOf('(', handler.index)) ?? '') : '';
      const drainCall = /\b(?:drain|shutdown|shutDown|close|stop|gracefulShutdown|terminate)\w*\s*\(|\bvoid\s+\w+\(|\w+\s*\(\s*['"]?SIGTERM|\b[a-z]\w*\s*\(\s*signal\s*\)/i;
      if (/process\s*\.\s*exit\s*\(/.test(args) && !drainCall.test(args.replace(/process\s*\.\s*exit\s*\([^)]*\)/g, ''))) {
        failures.push({ message: 'The SIGTERM handler exits immediately instead of draining', file: handler?.file, line: handler?.line, remediation: `Call the drain routine (${SHUTDOWN_FILE}) from the SIGTERM handler in ${handler?.file ?? ENTRY_FILE} and exit only when it finishes.` });
      }
      const drain = code.find((candidate) => candidate.file === SHUTDOWN_FILE) ?? file;
      if (drain) {
        if (!/\.close\s*\(|closeAllConnections|closeIdleConnections/.test(drain.code)) {
          failures.push({ message: `${drain.file} never closes the server: new connections keep being accepted while draining`, file: drain.file, remediation: `Call server.close() when draining in ${drain.file}.` });
        }
        if (!/drain|shuttingDown|stopping|closing|ready/i.test(drain.code)) {
          warnings.push({ message: `${drain.file} does not visibly take the instance out of rotation (readiness 503) before closing`, file: drain.file, remediation: `Flip readiness to 503 at the start of the drain in ${drain.file}, so load balancers stop routing to it.` });
        }
        if (!/setTimeout|AbortSignal\.timeout|timeout/i.test(drain.code)) {
          warnings.push({ message: `${drain.file} has no drain deadline: a stuck request blocks shutdown until the orchestrator kills the process`, file: drain.file, remediation: `Bound the drain with a timeout below the orchestrator's grace period in ${drain.file}.` });
        }
      }
    }

    if (docker) {
      const cmd = [...docker].reverse().find((instruction) => instruction.keyword === 'CMD' || instruction.keyword === 'ENTRYPOINT');
      if (cmd && !cmd.args.startsWith('[')) {
        failures.push({ message: `The Dockerfile ${cmd.keyword} uses the shell form: SIGTERM goes to /bin/sh, not to node, and the server is killed without draining`, file: DOCKERFILE, line: cmd.line, remediation: `Use the exec form in ${DOCKERFILE}: ${cmd.keyword} ["node", "dist/index.js"].` });
      } else if (cmd && /"(?:npm|yarn|pnpm)"/.test(cmd.args)) {
        warnings.push({ message: `The Dockerfile starts the server through a package manager, which may not forward SIGTERM`, file: DOCKERFILE, line: cmd.line, remediation: `Start node directly in ${DOCKERFILE}: CMD ["node", "dist/index.js"].` });
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
