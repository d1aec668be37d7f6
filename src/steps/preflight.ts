import { execa } from 'execa';
import { UserError } from '../core/errors.js';
import type { PackageManager } from '../core/ids.js';
import { assertCreatable } from '../render/writer.js';
import type { Context } from './context.js';

/** How to get each package manager when it is missing. */
const HOW_TO_GET: Record<PackageManager, string> = {
  npm: 'it comes with Node.js: reinstall Node.js',
  pnpm: 'run "corepack enable" (Corepack ships with Node.js up to 24) or "npm install --global pnpm"',
  yarn: 'run "corepack enable" (Corepack ships with Node.js up to 24) or "npm install --global yarn"',
  bun: 'install Bun from bun.sh',
};

/** Fails when `pm --version` does not run, naming the fix. */
export async function assertPackageManager(pm: PackageManager, env: NodeJS.ProcessEnv): Promise<void> {
  const result = await execa(pm, ['--version'], { reject: false, stdin: 'ignore', timeout: 30_000, env });
  if (result.exitCode === 0) return;
  const why =
    (result as { code?: string }).code === 'ENOENT'
      ? 'is not installed (not found on PATH)'
      : `does not run ("${pm} --version" ${result.timedOut ? 'timed out' : `exited ${result.exitCode}`}: ${(result.stderr || result.stdout).trim().split('\n').slice(-1)[0] ?? ''})`;
  throw new UserError(
    `${pm} ${why}, so the dependencies could not be installed. To get it, ${HOW_TO_GET[pm]}; or pass --pm npm, or --no-install to install later. Nothing was written.`,
  );
}

/**
 * What must hold before any question is asked or anything is written: the project can be
 * created at the target, and the package manager that will install it runs.
 */
export async function preflight(ctx: Pick<Context, 'targetDir' | 'run' | 'env'>): Promise<void> {
  await assertCreatable(ctx.targetDir!, { probe: !ctx.run.dryRun });
  if (ctx.run.install && !ctx.run.dryRun) await assertPackageManager(ctx.run.pm, ctx.env);
}
