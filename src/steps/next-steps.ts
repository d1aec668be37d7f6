import { relative } from 'node:path';
import type { Context } from './context.js';

/** What to do next, or the whole outcome as JSON with --json. */
export function nextSteps(ctx: Pick<Context, 'run' | 'targetDir' | 'cwd' | 'output' | 'color' | 'blueprint' | 'result' | 'recommendation' | 'project'>): void {
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
  const run = (script: string) => (pm === 'npm' ? `npm ${script === 'start' || script === 'test' ? script : `run ${script}`}` : `${pm} ${script}`);
  const steps = [
    dir !== '.' ? `cd ${dir.includes(' ') ? JSON.stringify(dir) : dir}` : undefined,
    ctx.result.installed ? undefined : `${pm} install`,
    blueprint.options.authMode === 'apikey' ? 'cp .env.example .env   # then set API_KEYS' : 'cp .env.example .env',
    `${run('test')}               # starts the real server and talks to it`,
    `${run('start')}              # serves MCP at http://127.0.0.1:${blueprint.manifest.start.port}/mcp`,
    'npx mcp-arch verify checklist',
  ].filter(Boolean);
  ctx.output.out(`\n${c.green('Done.')} ${blueprint.title} (${blueprint.options.pattern}) is ready.\n\nNext steps:\n${steps.map((s) => `  ${s}`).join('\n')}\n`);
}
