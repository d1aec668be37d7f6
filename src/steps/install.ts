import { execa } from 'execa';
import { EXIT, InterruptedError, UserError } from '../core/errors.js';
import { isOneOf, PACKAGE_MANAGERS, type PackageManager } from '../core/ids.js';
import type { Context } from './context.js';
import { withSpinner } from './spinner.js';

/** The package manager that ran us (`npm_config_user_agent`, e.g. "pnpm/9.1.0 node/v22"), else npm. */
export function detectPackageManager(env: NodeJS.ProcessEnv): PackageManager {
  const name = env.npm_config_user_agent?.split(' ')[0]?.split('/')[0];
  return isOneOf(PACKAGE_MANAGERS, name) ? name : 'npm';
}

export function installCommand(pm: PackageManager): [string, string[]] {
  return pm === 'yarn' ? ['yarn', []] : [pm, ['install']];
}

/** Installs the project's dependencies. A failure keeps the complete project and says how to retry. */
export async function install(
  ctx: Pick<Context, 'run' | 'targetDir' | 'output' | 'result' | 'signal' | 'env'>,
): Promise<void> {
  if (ctx.run.dryRun || !ctx.run.install) return;
  const [command, args] = installCommand(ctx.run.pm);
  try {
    await withSpinner(ctx.output, `Installing dependencies with ${ctx.run.pm}`, () =>
      execa(command, args, {
        cwd: ctx.targetDir!,
        stdin: 'ignore',
        cancelSignal: ctx.signal,
        env: { ...ctx.env, npm_config_fund: 'false', npm_config_audit: 'false' },
      }),
    );
    ctx.result.installed = true;
  } catch (error) {
    if (ctx.signal.aborted) {
      throw new InterruptedError(
        `Interrupted while installing: the project is complete in ${ctx.targetDir}; run "${command} ${args.join(' ')}" there.`,
      );
    }
    const detail =
      (error as { stderr?: string; shortMessage?: string }).stderr?.trim().split('\n').slice(-5).join('\n') ??
      (error as Error).message;
    throw new UserError(
      `Installing dependencies failed (${command} ${args.join(' ')}). The project was created in ${ctx.targetDir}; fix the cause and run "${command} ${args.join(' ')}" there.\n${detail}`,
      EXIT.failed,
    );
  }
}
