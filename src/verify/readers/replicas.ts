import type { StaticContext } from '../check.js';
import { composeFile, composeInstances } from './compose.js';
import { k8sObjects } from './k8s.js';
import { isRecord } from './records.js';

/** Where the project's replica count comes from, and the largest count any artifact asks for. */
export interface Replicas {
  /** Largest number of instances any artifact or the pattern itself implies. */
  max: number;
  evidence: string[];
}

export async function replicas(ctx: StaticContext): Promise<Replicas> {
  const evidence: string[] = [];
  let max = 1;
  const raise = (count: number, why: string) => {
    if (count > 1) evidence.push(why);
    max = Math.max(max, count);
  };
  // What the generator recorded: the instances its deployment runs (functions: one per concurrent call).
  const { count, perInvocation, why } = ctx.manifest.instances;
  raise(perInvocation ? Math.max(count, 2) : count, why);
  const objects = await k8sObjects(ctx);
  for (const object of objects) {
    const spec = isRecord(object.body.spec) ? object.body.spec : {};
    if ((object.kind === 'Deployment' || object.kind === 'StatefulSet') && typeof spec.replicas === 'number') {
      raise(spec.replicas, `${object.file}: ${object.kind} ${object.name} has replicas: ${spec.replicas}`);
    }
    if (object.kind === 'HorizontalPodAutoscaler' && typeof spec.maxReplicas === 'number') {
      raise(spec.maxReplicas, `${object.file}: HorizontalPodAutoscaler ${object.name} scales to ${spec.maxReplicas}`);
    }
  }
  const compose = await composeFile(ctx);
  if (compose) {
    const count = composeInstances(compose);
    raise(count, `${compose.file}: ${count} instances of the app`);
  }
  return { max, evidence };
}
