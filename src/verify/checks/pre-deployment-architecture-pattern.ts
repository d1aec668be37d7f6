import { checklistFor } from '../../core/checklist.js';
import type { DeployTarget } from '../../core/ids.js';
import { MANIFEST_FILE } from '../../core/manifest.js';
import { canRunSeveral, PATTERN_REGISTRY } from '../../patterns/index.js';
import { checklistItem, conclude, type Check, type Finding, type StaticContext } from '../check.js';
import { hasK8s, imageTagFindings, k8sObjects, resourcesOf, securityContextFindings } from '../readers/k8s.js';
import { samRuntimeFindings, samTemplate } from '../readers/sam.js';
import { COMPOSE_FILES, composeFile, composeInstances } from '../readers/compose.js';
import { DOCKERFILE } from '../readers/dockerfile.js';
import { isRecord } from '../readers/records.js';
import { APP_FILE } from '../readers/source.js';

export const preDeploymentArchitecturePattern: Check = {
  item: checklistItem('pre-deployment.architecture-pattern'),
  async static(ctx) {
    const { manifest } = ctx;
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const pattern = PATTERN_REGISTRY.get(manifest.pattern);
    if (!pattern) {
      const known = [...PATTERN_REGISTRY.keys()];
      return conclude('', {
        failures: [
          {
            message: `Unknown pattern "${manifest.pattern}"`,
            file: MANIFEST_FILE,
            remediation: `Set "pattern" in ${MANIFEST_FILE} to one of ${known.join(', ')}.`,
          },
        ],
      });
    }

    for (const target of manifest.deploy) {
      if (!pattern.deploy.includes(target)) {
        failures.push({
          message: `Deploy target ${target} does not fit the ${pattern.id} pattern (it deploys to ${pattern.deploy.join(', ')})`,
          file: MANIFEST_FILE,
          line: await ctx.lineOf(MANIFEST_FILE, `"${target}"`),
          remediation: `Remove ${target} from "deploy" in ${MANIFEST_FILE}, or regenerate with a pattern that supports it (mcp-arch patterns).`,
        });
      }
      failures.push(...(await deployArtifactProblems(ctx, target)));
    }

    for (const { file, why } of manifest.requiredFiles) {
      if (!(await ctx.exists(file))) {
        failures.push({
          message: `${file} is missing: ${why}`,
          file,
          remediation: `Restore ${file} (see the ${pattern.title} section of the README).`,
        });
      }
    }
    if (
      !(await ctx.exists(APP_FILE)) &&
      !manifest.deploy.every((target) => target === 'lambda' || target === 'vercel')
    ) {
      failures.push({
        message: `${APP_FILE} is missing: the server has no app`,
        file: APP_FILE,
        remediation: `Restore ${APP_FILE} (createApp()) or regenerate the project.`,
      });
    }

    // A pattern that never runs several instances of its server is really another pattern when its artifacts do.
    if (!canRunSeveral(pattern)) failures.push(...(await singleInstanceProblems(ctx, pattern.title)));

    // The deployment artifacts themselves must be deployable as they are: pinned images, an unprivileged container, a supported runtime.
    const objects = await k8sObjects(ctx);
    failures.push(...imageTagFindings(objects));
    const hardening = securityContextFindings(objects);
    failures.push(...hardening.failures);
    warnings.push(...hardening.warnings);
    const sam = await samTemplate(ctx);
    if (sam) failures.push(...samRuntimeFindings(sam));

    const expected = checklistFor(pattern).map((item) => item.id);
    const missing = expected.filter((id) => !manifest.checks.includes(id));
    const extra = manifest.checks.filter((id) => !expected.includes(id));
    if (missing.length > 0 || extra.length > 0) {
      warnings.push({
        message: `"checks" in ${MANIFEST_FILE} differs from the checklist of the ${pattern.id} pattern${missing.length ? ` (missing ${missing.join(', ')})` : ''}${extra.length ? ` (not applicable: ${extra.join(', ')})` : ''}`,
        file: MANIFEST_FILE,
        line: await ctx.lineOf(MANIFEST_FILE, '"checks"'),
        remediation: `Regenerate the project or set "checks" in ${MANIFEST_FILE} to: ${expected.join(', ')}.`,
      });
    }

    const targets = manifest.deploy.length > 0 ? ` deployed with ${manifest.deploy.join(', ')}` : '';
    return conclude(`${pattern.title}${targets}: the artifacts match the pattern`, { failures, warnings });
  },
};

async function deployArtifactProblems(ctx: StaticContext, target: DeployTarget): Promise<Finding[]> {
  switch (target) {
    case 'docker':
      return (await ctx.exists(DOCKERFILE))
        ? []
        : [
            {
              message: 'The manifest deploys with docker but there is no Dockerfile',
              file: DOCKERFILE,
              remediation: `Restore ${DOCKERFILE} (multi-stage, non-root, HEALTHCHECK) or remove docker from "deploy" in ${MANIFEST_FILE}.`,
            },
          ];
    case 'compose':
      return (await composeFile(ctx))
        ? []
        : [
            {
              message: `The manifest deploys with compose but there is no ${COMPOSE_FILES[0]}`,
              file: COMPOSE_FILES[0],
              remediation: `Restore ${COMPOSE_FILES[0]} or remove compose from "deploy" in ${MANIFEST_FILE}.`,
            },
          ];
    case 'k8s': {
      const objects = await k8sObjects(ctx);
      return hasK8s(objects) &&
        resourcesOf(objects, 'Deployment').length + resourcesOf(objects, 'StatefulSet').length > 0
        ? []
        : [
            {
              message: 'The manifest deploys with k8s but no Kubernetes Deployment was found',
              file: 'k8s',
              remediation: `Restore the Kubernetes manifests (k8s/base with a Deployment) or remove k8s from "deploy" in ${MANIFEST_FILE}.`,
            },
          ];
    }
    case 'lambda': {
      const template = await ctx.readFile('template.yaml');
      return template !== undefined && /AWS::Serverless::Function|AWS::Lambda::Function/.test(template)
        ? []
        : [
            {
              message: 'The manifest deploys with lambda but template.yaml defines no function',
              file: 'template.yaml',
              remediation: `Restore the SAM template.yaml (an AWS::Serverless::Function whose Handler is the built handler) or remove lambda from "deploy" in ${MANIFEST_FILE}.`,
            },
          ];
    }
    case 'vercel':
      return (await ctx.exists('vercel.json'))
        ? []
        : [
            {
              message: 'The manifest deploys with vercel but there is no vercel.json',
              file: 'vercel.json',
              remediation: `Restore vercel.json or remove vercel from "deploy" in ${MANIFEST_FILE}.`,
            },
          ];
  }
}

/** A pattern without replicas whose artifacts run several instances is really another pattern. */
async function singleInstanceProblems(ctx: StaticContext, title: string): Promise<Finding[]> {
  const out: Finding[] = [];
  const advice = `A ${title} project runs one instance; set replicas to 1, or regenerate with the load-balanced pattern (shared store, no cookie affinity).`;
  for (const object of await k8sObjects(ctx)) {
    const spec = isRecord(object.body.spec) ? object.body.spec : {};
    if (
      (object.kind === 'Deployment' || object.kind === 'StatefulSet') &&
      typeof spec.replicas === 'number' &&
      spec.replicas > 1
    ) {
      out.push({
        message: `${object.kind} ${object.name} runs ${spec.replicas} replicas, but the pattern is ${title}`,
        file: object.file,
        line: object.line,
        remediation: advice,
      });
    }
    if (object.kind === 'HorizontalPodAutoscaler' && !object.patch) {
      out.push({
        message: `HorizontalPodAutoscaler ${object.name} scales out, but the pattern is ${title}`,
        file: object.file,
        line: object.line,
        remediation: advice,
      });
    }
  }
  const compose = await composeFile(ctx);
  if (compose) {
    const count = composeInstances(compose);
    if (count > 1)
      out.push({
        message: `${compose.file} runs ${count} instances of the app, but the pattern is ${title}`,
        file: compose.file,
        remediation: advice,
      });
  }
  return out;
}
