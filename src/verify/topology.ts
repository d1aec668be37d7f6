import { toBlueprint } from '../core/blueprint.js';
import { optionsOf, type Manifest } from '../core/manifest.js';
import { loadTemplates } from '../render/templates.js';

/**
 * The Mermaid flowchart of a generated project, as its README has it: rebuilt from the options
 * its `mcp-arch.json` records, so the diagram has one source (the pattern's definition). Undefined
 * when this version cannot rebuild it (a pattern it does not know, options it does not support).
 * Loaded only for `--format html`: the blueprint needs the template catalog.
 */
export function projectMermaid(manifest: Manifest): string | undefined {
  const options = optionsOf(manifest);
  try {
    const { mermaid } = toBlueprint(options, loadTemplates().catalog, manifest.generator.version).variables;
    return typeof mermaid === 'string' ? mermaid : undefined;
  } catch {
    return undefined;
  }
}
