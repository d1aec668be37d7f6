import { checklistItem, conclude, notApplicable, type Check, type Finding, type StaticContext } from '../check.js';
import { runsSeveral } from '../../patterns/index.js';
import { samTemplate, samTimeoutFindings } from '../readers/sam.js';
import { appServices, composeFile } from '../readers/compose.js';
import { appContainers, k8sObjects, resourcesOf, workloads, type K8sObject } from '../readers/k8s.js';
import { dig, isRecord } from '../readers/records.js';

export const preDeploymentCapacityScaling: Check = {
  item: checklistItem('pre-deployment.capacity-scaling'),
  async static(ctx) {
    const objects = await k8sObjects(ctx);
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const parts: string[] = [];

    if (appContainers(objects).length > 0) {
      parts.push('Kubernetes');
      k8sProblems(objects, failures, warnings);
    }
    const lambda = await ctx.readFile('template.yaml');
    if (lambda !== undefined && /AWS::Serverless::Function|AWS::Lambda::Function/.test(lambda)) {
      parts.push('SAM');
      await samProblems(ctx, lambda, failures, warnings);
    }
    const sam = await samTemplate(ctx);
    if (sam) failures.push(...samTimeoutFindings(sam));
    const compose = await composeFile(ctx);
    if (compose && appServices(compose).length > 0 && parts.length === 0) {
      parts.push('Compose');
      for (const [name, service] of appServices(compose)) {
        if (dig(service, 'deploy', 'resources', 'limits') === undefined) {
          warnings.push({
            message: `Compose service ${name} sets no resource limits`,
            file: compose.file,
            line: await ctx.lineOf(compose.file, new RegExp(`^\\s+${name}:`, 'm')),
            remediation: `Set deploy.resources.limits (cpus, memory) for ${name} in ${compose.file}.`,
          });
        }
      }
    }
    if (parts.length === 0 && (await ctx.exists('vercel.json'))) {
      return notApplicable(
        'Vercel scales functions itself and exposes no capacity settings in the project beyond vercel.json limits',
      );
    }

    if (parts.length === 0) {
      const summary = `The ${ctx.manifest.pattern} pattern runs several instances, but the project has no Kubernetes, SAM or Compose manifests that set capacity`;
      const finding: Finding = {
        message: summary,
        remediation:
          'Add the deployment manifests (regenerate with --deploy k8s or compose) with resource requests, an autoscaler and a disruption budget.',
      };
      // A project generated to run one instance may start so; one generated to run several cannot.
      return runsSeveral(ctx.manifest.instances)
        ? conclude('', { failures: [finding] })
        : { status: 'warn', summary, findings: [finding] };
    }
    return conclude(`Capacity is planned in ${parts.join(', ')}: requests, limits and scaling bounds are set`, {
      failures,
      warnings,
    });
  },
};

function k8sProblems(objects: readonly K8sObject[], failures: Finding[], warnings: Finding[]): void {
  const deployments = workloads(objects);
  for (const { workload, container } of appContainers(objects)) {
    const name = String(container.name ?? '?');
    const requests = dig(container, 'resources', 'requests');
    const limits = dig(container, 'resources', 'limits');
    const remediation = `Set resources.requests (cpu, memory) and resources.limits.memory on container ${name} in ${workload.file}.`;
    if (!isRecord(requests) || requests.cpu === undefined || requests.memory === undefined) {
      failures.push({
        message: `${workload.kind} ${workload.name}, container ${name}: resources.requests (cpu and memory) are not set, so the scheduler and the HPA cannot plan capacity`,
        file: workload.file,
        line: workload.line,
        remediation,
      });
    }
    if (!isRecord(limits) || limits.memory === undefined) {
      warnings.push({
        message: `${workload.kind} ${workload.name}, container ${name}: no memory limit`,
        file: workload.file,
        line: workload.line,
        remediation,
      });
    }
  }

  const hpas = resourcesOf(objects, 'HorizontalPodAutoscaler');
  if (hpas.length === 0) {
    const [first] = deployments;
    failures.push({
      message: 'No HorizontalPodAutoscaler: replicas do not follow load',
      ...(first ? { file: first.file } : {}),
      remediation:
        'Add a HorizontalPodAutoscaler (autoscaling/v2) whose scaleTargetRef is the app Deployment, with minReplicas >= 2.',
    });
  }
  let minReplicas = Number.POSITIVE_INFINITY;
  for (const hpa of hpas) {
    const target = dig(hpa.body, 'spec', 'scaleTargetRef');
    const kind = dig(target, 'kind');
    const name = dig(target, 'name');
    const targetExists = deployments.some((workload) => workload.kind === kind && workload.name === name);
    if (!targetExists) {
      failures.push({
        message: `HorizontalPodAutoscaler ${hpa.name} targets ${String(kind)} ${String(name)}, which is not a workload in the manifests`,
        file: hpa.file,
        line: hpa.line,
        remediation: `Point spec.scaleTargetRef of ${hpa.name} in ${hpa.file} at the app Deployment (${deployments.map((workload) => `${workload.kind} ${workload.name}`).join(', ') || 'none found'}).`,
      });
    }
    const min = dig(hpa.body, 'spec', 'minReplicas');
    const max = dig(hpa.body, 'spec', 'maxReplicas');
    if (typeof min === 'number') minReplicas = Math.min(minReplicas, min);
    if (typeof max !== 'number' || (typeof min === 'number' && max < min)) {
      failures.push({
        message: `HorizontalPodAutoscaler ${hpa.name} has no valid maxReplicas`,
        file: hpa.file,
        line: hpa.line,
        remediation: `Set spec.maxReplicas >= minReplicas in ${hpa.file}.`,
      });
    }
    if (typeof min === 'number' && min < 2) {
      warnings.push({
        message: `HorizontalPodAutoscaler ${hpa.name} allows a single replica: one pod failure is an outage`,
        file: hpa.file,
        line: hpa.line,
        remediation: `Set spec.minReplicas to at least 2 in ${hpa.file}.`,
      });
    }
  }
  if (!Number.isFinite(minReplicas)) {
    const counts = deployments
      .map((workload) => dig(workload.body, 'spec', 'replicas'))
      .filter((count): count is number => typeof count === 'number');
    minReplicas = counts.length > 0 ? Math.min(...counts) : 1;
  }

  const pdbs = resourcesOf(objects, 'PodDisruptionBudget');
  if (pdbs.length === 0) {
    warnings.push({
      message: 'No PodDisruptionBudget: a node drain may take every replica down at once',
      remediation:
        'Add a PodDisruptionBudget selecting the app pods with minAvailable below the replica count (or maxUnavailable: 1).',
    });
  }
  for (const pdb of pdbs) {
    const minAvailable = dig(pdb.body, 'spec', 'minAvailable');
    const maxUnavailable = dig(pdb.body, 'spec', 'maxUnavailable');
    const remediation = `Set spec.minAvailable of ${pdb.name} in ${pdb.file} below the smallest replica count (${minReplicas}), or use maxUnavailable: 1.`;
    if (typeof minAvailable === 'number' && minAvailable >= minReplicas) {
      failures.push({
        message: `PodDisruptionBudget ${pdb.name} requires ${minAvailable} available pods with only ${minReplicas} replicas: node drains and rolling updates block`,
        file: pdb.file,
        line: pdb.line,
        remediation,
      });
    } else if (minAvailable === '100%' || maxUnavailable === 0 || maxUnavailable === '0%') {
      failures.push({
        message: `PodDisruptionBudget ${pdb.name} allows no disruption: node drains block forever`,
        file: pdb.file,
        line: pdb.line,
        remediation,
      });
    }
  }
}

async function samProblems(
  ctx: StaticContext,
  template: string,
  failures: Finding[],
  warnings: Finding[],
): Promise<void> {
  const file = 'template.yaml';
  const hasSetting = (key: string) => new RegExp(`^\\s+${key}\\s*:`, 'm').test(template);
  for (const key of ['MemorySize', 'Timeout']) {
    if (!hasSetting(key)) {
      failures.push({
        message: `template.yaml does not set ${key}: the function runs with the platform default`,
        file,
        line: await ctx.lineOf(file, /AWS::(?:Serverless|Lambda)::Function/),
        remediation: `Set ${key} on the function (or in Globals.Function) in ${file}.`,
      });
    }
  }
  if (!hasSetting('ReservedConcurrentExecutions')) {
    warnings.push({
      message:
        'template.yaml sets no ReservedConcurrentExecutions: a spike can exhaust the account concurrency or overload what the tools call',
      file,
      remediation: `Set ReservedConcurrentExecutions on the function in ${file}.`,
    });
  }
}
