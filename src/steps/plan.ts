import { toBlueprint } from '../core/blueprint.js';
import { render } from '../render/render.js';
import type { Context } from './context.js';
import { formatTree } from './present.js';

/** Options -> blueprint -> files in memory. With --dry-run, shows the plan and stops here. */
export function plan(
  ctx: Pick<
    Context,
    | 'project'
    | 'version'
    | 'generator'
    | 'templates'
    | 'blueprint'
    | 'files'
    | 'run'
    | 'output'
    | 'targetDir'
    | 'recommendation'
    | 'answers'
  >,
): void {
  const templates = ctx.templates();
  const blueprint = toBlueprint(ctx.project!, templates.catalog, ctx.generator ?? ctx.version);
  // The advisor's answers are kept with the project, so that evolving it can re-render it exactly.
  ctx.blueprint = ctx.recommendation
    ? { ...blueprint, manifest: { ...blueprint.manifest, answers: { ...ctx.answers } } }
    : blueprint;
  ctx.files = render(ctx.blueprint, templates);
  if (ctx.run.dryRun && !ctx.run.json) {
    ctx.output.out(`Dry run: nothing is written.\n\n${formatTree(ctx.blueprint, ctx.targetDir!)}\n`);
  }
}
