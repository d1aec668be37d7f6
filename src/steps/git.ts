import { execa } from 'execa';
import type { Context } from './context.js';

/** Author used only when git has no identity configured, so the first commit never fails on it. */
const FALLBACK_IDENTITY = {
  GIT_AUTHOR_NAME: 'create-mcp-arch',
  GIT_AUTHOR_EMAIL: 'create-mcp-arch@localhost',
  GIT_COMMITTER_NAME: 'create-mcp-arch',
  GIT_COMMITTER_EMAIL: 'create-mcp-arch@localhost',
};

async function hasIdentity(cwd: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const result = await execa('git', ['config', 'user.email'], { cwd, env, reject: false });
  return result.exitCode === 0 && result.stdout.trim() !== '';
}

/** `git init` and a first commit, unless the target is already inside a repository. Never fatal. */
export async function git(ctx: Pick<Context, 'run' | 'targetDir' | 'output' | 'result' | 'env'>): Promise<void> {
  if (ctx.run.dryRun || !ctx.run.git) return;
  const cwd = ctx.targetDir!;
  const inside = await execa('git', ['rev-parse', '--is-inside-work-tree'], { cwd, env: ctx.env, reject: false });
  if (inside.failed && (inside as { code?: string }).code === 'ENOENT') {
    ctx.result.git = 'skipped';
    ctx.output.info('git is not installed: skipped creating a repository.');
    return;
  }
  if (inside.exitCode === 0 && inside.stdout.trim() === 'true') {
    ctx.result.git = 'skipped-inside-repo';
    ctx.output.info('Inside an existing git repository: left it to you to commit.');
    return;
  }
  try {
    await execa('git', ['init', '--quiet'], { cwd, env: ctx.env });
    await execa('git', ['add', '--all'], { cwd, env: ctx.env });
    const env = (await hasIdentity(cwd, ctx.env)) ? ctx.env : { ...ctx.env, ...FALLBACK_IDENTITY };
    await execa('git', ['commit', '--quiet', '--no-verify', '--message', 'Initial commit from create-mcp-arch'], {
      cwd,
      env,
    });
    ctx.result.git = 'committed';
    ctx.output.info('Initialized a git repository with a first commit.');
  } catch (error) {
    ctx.result.git = 'failed';
    ctx.output.info(
      `Could not create the git repository: ${(error as { shortMessage?: string }).shortMessage ?? (error as Error).message}`,
    );
  }
}
