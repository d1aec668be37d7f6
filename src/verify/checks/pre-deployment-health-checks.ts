import { MANIFEST_FILE } from '../../core/manifest.js';
import { checklistItem, conclude, notApplicable, type Check, type Finding } from '../check.js';
import { probeHealth } from './resilience-health-checks.js';
import { DOCKERFILE, dockerfile } from '../readers/dockerfile.js';
import { appContainers, k8sObjects } from '../readers/k8s.js';
import { dig } from '../readers/records.js';
import { routes, routesFor, sources } from '../readers/source.js';

export const preDeploymentHealthChecks: Check = {
  item: checklistItem('pre-deployment.health-checks'),
  live: probeHealth,
  async static(ctx) {
    const { healthPath, readyPath } = ctx.manifest.start;
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const docker = await dockerfile(ctx);
    const objects = await k8sObjects(ctx);
    const containers = appContainers(objects);
    const expectsDocker = ctx.manifest.deploy.includes('docker');

    if (!docker && !expectsDocker && containers.length === 0 && ctx.manifest.instances.perInvocation) {
      return notApplicable(
        'Serverless functions have no container or pod to probe: the platform replaces failed instances',
      );
    }

    if (healthPath === readyPath) {
      failures.push({
        message: `Liveness and readiness share ${healthPath}: an instance that is draining or lost its store would be restarted instead of taken out of rotation`,
        file: MANIFEST_FILE,
        line: await ctx.lineOf(MANIFEST_FILE, '"readyPath"'),
        remediation: `Serve readiness on its own path ("start.readyPath" in ${MANIFEST_FILE}, e.g. /ready) and liveness on /health.`,
      });
    }

    const all = routes(await sources(ctx));
    for (const [kind, path] of [
      ['liveness', healthPath],
      ['readiness', readyPath],
    ] as const) {
      if (routesFor(all, path).length === 0) {
        failures.push({
          message: `No GET ${path} route (${kind}) in src/`,
          file: 'src/app.ts',
          remediation: `Register GET ${path} in src/app.ts (createApp()).`,
        });
      }
    }

    if (docker) {
      const healthcheck = docker.find((instruction) => instruction.keyword === 'HEALTHCHECK');
      if (!healthcheck || /^NONE\b/i.test(healthcheck.args)) {
        failures.push({
          message: 'The Dockerfile has no HEALTHCHECK: docker and compose cannot tell a hung server from a healthy one',
          file: DOCKERFILE,
          ...(healthcheck ? { line: healthcheck.line } : {}),
          remediation: `Add to ${DOCKERFILE}: HEALTHCHECK CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'${healthPath}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"`,
        });
      } else if (!healthcheck.args.includes(healthPath) && !healthcheck.args.includes(readyPath)) {
        warnings.push({
          message: `The Dockerfile HEALTHCHECK does not request ${healthPath}`,
          file: DOCKERFILE,
          line: healthcheck.line,
          remediation: `Make the HEALTHCHECK in ${DOCKERFILE} request ${healthPath}.`,
        });
      }
    } else if (expectsDocker) {
      failures.push({
        message: 'The manifest deploys with docker but there is no Dockerfile to carry a HEALTHCHECK',
        file: DOCKERFILE,
        remediation: `Restore ${DOCKERFILE} with a HEALTHCHECK on ${healthPath}.`,
      });
    }

    for (const { workload, container } of containers) {
      const where = `${workload.kind} ${workload.name}, container ${String(container.name ?? '?')}`;
      const liveness = dig(container, 'livenessProbe');
      const readiness = dig(container, 'readinessProbe');
      const remediation = `In ${workload.file}, give container ${String(container.name ?? '')} a livenessProbe (httpGet ${healthPath}) and a readinessProbe (httpGet ${readyPath}).`;
      if (!liveness)
        failures.push({
          message: `${where} has no livenessProbe`,
          file: workload.file,
          line: workload.line,
          remediation,
        });
      if (!readiness)
        failures.push({
          message: `${where} has no readinessProbe: traffic reaches pods that are not ready or are draining`,
          file: workload.file,
          line: workload.line,
          remediation,
        });
      const livePath = dig(liveness, 'httpGet', 'path');
      const readyProbePath = dig(readiness, 'httpGet', 'path');
      if (liveness && readiness && livePath !== undefined && livePath === readyProbePath) {
        failures.push({
          message: `${where}: liveness and readiness probe the same path ${String(livePath)}`,
          file: workload.file,
          line: workload.line,
          remediation,
        });
      } else if (readiness && readyProbePath !== undefined && readyProbePath !== readyPath) {
        warnings.push({
          message: `${where}: readinessProbe requests ${String(readyProbePath)}, not ${readyPath}`,
          file: workload.file,
          line: workload.line,
          remediation,
        });
      }
    }

    const probes = [
      docker ? 'Dockerfile HEALTHCHECK' : '',
      containers.length > 0 ? 'Kubernetes liveness/readiness probes' : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return conclude(
      `${healthPath} (liveness) and ${readyPath} (readiness) are served${probes ? ` and configured in the ${probes}` : ''}`,
      { failures, warnings },
    );
  },
};
