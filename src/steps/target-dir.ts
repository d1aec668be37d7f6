import { basename, resolve } from 'node:path';
import { UserError } from '../core/errors.js';
import { packageNameProblem, resolvePackageName } from '../core/package-name.js';
import { assertWritableTarget } from '../render/writer.js';
import type { Context } from './context.js';

export const DEFAULT_DIR = 'my-mcp-app';

/** Where to generate, and the package name: asked first so a bad target fails before any question. */
export async function targetDir(
  ctx: Pick<Context, 'dir' | 'targetDir' | 'name' | 'cwd' | 'interactive' | 'yes' | 'prompt'>,
): Promise<void> {
  if (ctx.dir === undefined) {
    if (ctx.interactive) {
      ctx.dir = await ctx.prompt.input({
        message: 'Where should the project be created?',
        default: DEFAULT_DIR,
        validate: (value) => (value.trim() === '' ? 'Enter a directory' : true),
      });
    } else if (ctx.yes) {
      ctx.dir = DEFAULT_DIR;
    } else {
      throw new UserError(
        'Missing the target directory: pass it as the first argument (create-mcp-arch <dir>), or --yes to use ./my-mcp-app.',
      );
    }
  }
  const dir = ctx.dir.trim();
  if (dir === '') throw new UserError('The target directory is empty: pass a directory name as the first argument.');
  ctx.targetDir = resolve(ctx.cwd, dir);
  const dirName = basename(ctx.targetDir);
  if (
    ctx.name === undefined &&
    ctx.interactive &&
    packageNameProblem(dirName.toLowerCase().replace(/\s+/g, '-')) !== undefined
  ) {
    ctx.name = await ctx.prompt.input({
      message: 'Package name:',
      default: resolveOrUndefined(dirName),
      validate: (value) => {
        const problem = packageNameProblem(value);
        return problem ? `Not a valid npm package name: ${problem}` : true;
      },
    });
  }
  ctx.name = resolvePackageName(ctx.name, dirName);
  await assertWritableTarget(ctx.targetDir, []);
}

function resolveOrUndefined(dirName: string): string | undefined {
  try {
    return resolvePackageName(undefined, dirName);
  } catch {
    return undefined;
  }
}
