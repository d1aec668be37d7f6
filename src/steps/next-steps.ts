import { relative } from 'node:path';
import { requiredEnv } from '../components/env.js';
import { GENERATOR_PACKAGE, isCheckoutSpec } from '../core/tool-info.js';
import type { Context } from './context.js';

/** What to do next, or the whole outcome as JSON with --json. */
export function nextSteps(
  ctx: Pick<
    Context,
    'run' | 'targetDir' | 'cwd' | 'output' | 'color' | 'blueprint' | 'result' | 'recommendation' | 'project'
  >,
): void {
  const blueprint = ctx.blueprint!;
  if (ctx.run.json) {
    ctx.output.out(
      `${JSON.stringify(
        {
          schemaVersion: 1,
          dryRun: ctx.run.dryRun,
          target: ctx.targetDir,
          project: ctx.project,
          recommendation: ctx.recommendation ?? null,
          blueprint: ctx.run.dryRun ? blueprint : undefined,
          files: blueprint.files.map((f) => f.destination),
          result: ctx.result,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  if (ctx.run.dryRun) return;
  const c = ctx.color;
  const dir = relative(ctx.cwd, ctx.targetDir!) || '.';
  const pm = ctx.run.pm;
  const run = (script: string) =>
    pm === 'npm' ? `npm ${script === 'start' || script === 'test' ? script : `run ${script}`}` : `${pm} ${script}`;
  // [command, what it does]: the comments line up whatever the package manager's command length.
  const steps: [string, string?][] = [];
  if (dir !== '.') steps.push([`cd ${dir.includes(' ') ? JSON.stringify(dir) : dir}`]);
  if (!ctx.result.installed) steps.push([`${pm} install`]);
  const required = requiredEnv(blueprint.env).map((variable) => variable.name);
  steps.push(
    required.length > 0 ? ['cp .env.example .env', `then set ${required.join(', ')}`] : ['cp .env.example .env'],
  );
  steps.push([run('test'), 'starts the real server and talks to it']);
  steps.push([run('start'), `serves MCP at http://127.0.0.1:${blueprint.manifest.start.port}/mcp`]);
  steps.push([run('verify'), `the deployment checklist, checked by this project's ${GENERATOR_PACKAGE}`]);
  const width = Math.max(...steps.filter(([, note]) => note).map(([command]) => command.length));
  const lines = steps.map(([command, note]) => `  ${note ? `${command.padEnd(width)}   # ${note}` : command}`);
  const generator = blueprint.devDependencies[GENERATOR_PACKAGE];
  // From a source checkout the project links it: say so, since moving or deleting it breaks verify.
  const linked =
    generator !== undefined && isCheckoutSpec(generator)
      ? `\n${c.yellow('Note:')} ${GENERATOR_PACKAGE} is not on the npm registry yet, so package.json links it from this checkout\n` +
        `  (${GENERATOR_PACKAGE}: ${JSON.stringify(generator)}): ${run('verify')} runs the checkout's build. Keep it there and built\n` +
        `  (npm run build in it), or point the dev dependency at a packed tarball (npm pack, then file:<path>.tgz).\n`
      : '';
  ctx.output.out(
    `\n${c.green('Done.')} ${blueprint.title} (${blueprint.options.pattern}) is ready.\n\nNext steps:\n${lines.join('\n')}\n${linked}`,
  );
}
