import {
  access,
  chmod,
  constants,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { EXIT, InterruptedError, UserError } from '../core/errors.js';
import { unsafePathProblem } from './paths.js';
import type { RenderedFile } from './render.js';

/** Entries that may already be in a target directory: they are never written to. */
const TOLERATED = new Set(['.git', '.DS_Store', 'Thumbs.db']);

export interface WriteOptions {
  /** Aborted by the CLI on SIGINT: the write stops and removes what it staged. */
  signal?: AbortSignal;
}

/** Whether anything (file, folder, link) stands at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * What already stands in the target, as a refusal to write there. Nothing is ever overwritten:
 * a target must be new, empty, or hold only tolerated entries such as `.git`.
 */
export async function assertWritableTarget(target: string, files: readonly RenderedFile[]): Promise<void> {
  let stat;
  try {
    stat = await lstat(target);
  } catch {
    return;
  }
  if (!stat.isDirectory())
    throw new UserError(
      `Target ${target} exists and is not a directory. Choose another directory; nothing was written.`,
    );
  const present = (await readdir(target)).filter((entry) => !TOLERATED.has(entry)).sort();
  if (present.length === 0) return;
  const planned = new Set(files.map((f) => f.path.split('/')[0]!));
  const conflicts = present.filter((entry) => planned.has(entry));
  const shown = (list: string[]) =>
    list.slice(0, 20).join(', ') + (list.length > 20 ? `, and ${list.length - 20} more` : '');
  throw new UserError(
    `Target directory ${target} is not empty.` +
      (conflicts.length > 0 ? ` These would be overwritten: ${shown(conflicts)}.` : '') +
      ` It contains: ${shown(present)}. Choose a new or empty directory; nothing was written.`,
  );
}

/** The nearest path at or above `path` that exists, with what it is. */
async function nearestExisting(path: string): Promise<{ path: string; isDirectory: boolean }> {
  for (let current = resolve(path); ; current = dirname(current)) {
    try {
      return { path: current, isDirectory: (await stat(current)).isDirectory() };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') continue;
      if (code !== 'ENOENT' || dirname(current) === current) throw error;
    }
  }
}

/** A file-system failure at `target`, told as what went wrong and what to do. */
function cannotCreate(
  target: string,
  where: string,
  error: unknown,
  exitCode: typeof EXIT.usage | typeof EXIT.failed,
): UserError {
  const { code, message } = error as NodeJS.ErrnoException;
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? `no permission to create entries in ${where}`
      : code === 'EROFS'
        ? `${where} is on a read-only file system`
        : code === 'ENOSPC' || code === 'EDQUOT'
          ? `no space left in ${where}`
          : `${where} does not accept new entries (${code ?? message})`;
  return new UserError(
    `Cannot create the project at ${target}: ${why}. Choose a directory you can write to (pass it as the first argument); nothing was written.`,
    exitCode,
  );
}

/**
 * Proves, before any question is asked, that a project could be created at `target`: no part
 * of the path is a file, and the nearest existing folder accepts a new entry. Permission bits
 * do not tell (root, read-only mounts, /proc), so unless `probe` is false a folder is created
 * there and removed at once; without the probe (dry runs write nothing) access rights decide.
 */
export async function assertCreatable(target: string, { probe = true }: { probe?: boolean } = {}): Promise<void> {
  const absolute = resolve(target);
  const existing = await nearestExisting(absolute);
  if (!existing.isDirectory) {
    throw new UserError(
      `Cannot create the project at ${absolute}: ${existing.path} is a file, so nothing can be created under it. Choose another directory; nothing was written.`,
    );
  }
  try {
    if (!probe) {
      await access(existing.path, constants.W_OK | constants.X_OK);
      return;
    }
    await rmdir(await mkdtemp(join(existing.path, '.mcp-arch-probe-')));
  } catch (error) {
    throw cannotCreate(absolute, existing.path, error, EXIT.usage);
  }
}

/**
 * The only step that touches the target. Files are staged in a sibling temporary directory
 * and moved into place at the end, so a failure or an interrupt never leaves half a project.
 */
export async function writeProject(
  target: string,
  files: readonly RenderedFile[],
  { signal }: WriteOptions = {},
): Promise<void> {
  for (const file of files) {
    const problem = unsafePathProblem(file.path);
    if (problem) throw new UserError(`Refusing to write "${file.path}": ${problem}. Nothing was written.`);
  }
  const absoluteTarget = resolve(target);
  await assertWritableTarget(absoluteTarget, files);

  const parent = dirname(absoluteTarget);
  let createdParent: string | undefined;
  let stage: string;
  try {
    createdParent = !(await exists(parent)) ? await mkdir(parent, { recursive: true }) : undefined;
    stage = await mkdtemp(join(parent, `.${basename(absoluteTarget)}.staging-`));
  } catch (error) {
    if (createdParent) await rm(createdParent, { recursive: true, force: true });
    throw cannotCreate(absoluteTarget, parent, error, EXIT.failed);
  }
  const moved: string[] = [];
  try {
    // mkdtemp creates 0700; the project directory gets the user's usual permissions.
    await chmod(stage, 0o777 & ~process.umask());
    for (const file of files) {
      if (signal?.aborted) throw new InterruptedError();
      const path = join(stage, file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.contents);
      if (file.executable) await chmod(path, 0o755);
    }
    if (signal?.aborted) throw new InterruptedError();
    if (!(await exists(absoluteTarget))) {
      await rename(stage, absoluteTarget);
      return;
    }
    // The target exists but is empty (or holds only tolerated entries): move entries in one by one.
    await assertWritableTarget(absoluteTarget, files);
    for (const entry of await readdir(stage)) {
      await rename(join(stage, entry), join(absoluteTarget, entry));
      moved.push(entry);
    }
    await rm(stage, { recursive: true, force: true });
  } catch (error) {
    for (const entry of moved) await rm(join(absoluteTarget, entry), { recursive: true, force: true });
    await rm(stage, { recursive: true, force: true });
    if (createdParent) await rm(createdParent, { recursive: true, force: true });
    if (error instanceof UserError || typeof (error as NodeJS.ErrnoException).code !== 'string') throw error;
    throw cannotCreate(absoluteTarget, dirname(absoluteTarget), error, EXIT.failed);
  }
}
