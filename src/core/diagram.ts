import type { PatternDefinition, PatternOptions } from '../patterns/types.js';

/**
 * A Mermaid flowchart of the system actually generated, for the project's README: the pattern's
 * own drawing, then the deploy artifacts attached to its main node. `composeServices` says what
 * compose.yaml runs, as the compose document built for the project lists it.
 */
export function mermaidFor(
  definition: PatternDefinition,
  options: PatternOptions,
  components: readonly string[],
  composeServices?: string,
): string {
  const lines = ['flowchart LR', ...definition.mermaid.lines(options)];
  const main = definition.mermaid.mainNode;
  if (components.includes('docker')) lines.push(`  image["Docker image (non-root)"] -.-> ${main}`);
  if (components.includes('compose') && composeServices)
    lines.push(`  compose["docker compose: ${composeServices}"] -.-> ${main}`);
  if (components.includes('k8s'))
    lines.push(`  k8s["Kubernetes: kustomize base (probes, HPA, PDB, NetworkPolicy)"] -.-> ${main}`);
  return lines.join('\n');
}
