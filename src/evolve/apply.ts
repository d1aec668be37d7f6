import { chmod, mkdir, mkdtemp, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EXIT, InterruptedError, UserError } from '../core/errors.js';
import { unsafePathProblem } from '../render/paths.js';
import { exists } from '../render/writer.js';
import type { FileChange } from './plan.js';

/** The staging folder inside the project: same file system, so every move is a rename. */
const STAGING_PREFIX = '.mcp-arch-staging-';

/** Creates the missing parents of `path` under `root`; answers the ones it created, outermost first. */
async function makeParents(root: string, path: string): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = dirname(path); dir !== root && !(await exists(dir)); dir = dirname(dir)) missing.unshift(dir);
  for (const dir of missing) await mkdir(dir);
  return missing;
}

/** Removes `dir` and its parents up to `root` while they are empty (after a file was deleted). */
async function pruneEmpty(root: string, dir: string): Promise<void> {
  for (let current = dir; current !== root; current = dirname(current)) {
    if ((await readdir(current).catch(() => ['?'])).length > 0) return;
    await rmdir(current).catch(() => undefined);
  }
}

/**
 * Writes a plan into the project, all or nothing. New contents are staged first; then each
 * file is swapped in, its previous version moved aside. A failure or an interrupt (`signal`)
 * before the end puts every previous version back, so the project is as it was.
 */
export async function applyChanges(
  dir: string,
  changes: readonly FileChange[],
  { signal }: { signal?: AbortSignal } = {},
): Promise<void> {
  for (const change of changes) {
    const problem = unsafePathProblem(change.path);
    if (problem) throw new UserError(`Refusing to write "${change.path}": ${problem}. Nothing was written.`);
  }
  const stage = await mkdtemp(join(dir, STAGING_PREFIX));
  const staged = join(stage, 'new');
  const previous = join(stage, 'previous');
  const done: { index: number; hadPrevious: boolean; placed: boolean; createdDirs: string[] }[] = [];
  try {
    for (const [index, change] of changes.entries()) {
      if (signal?.aborted) throw new InterruptedError();
      if (change.action === 'delete') continue;
      const path = join(staged, String(index));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, change.contents ?? '');
      if (change.executable) await chmod(path, 0o755);
    }
    await mkdir(previous, { recursive: true });
    for (const [index, change] of changes.entries()) {
      if (signal?.aborted) throw new InterruptedError();
      const target = join(dir, change.path);
      const entry = { index, hadPrevious: await exists(target), placed: false, createdDirs: [] as string[] };
      if (entry.hadPrevious) await rename(target, join(previous, String(index)));
      done.push(entry);
      if (change.action !== 'delete') {
        entry.createdDirs = await makeParents(dir, target);
        await rename(join(staged, String(index)), target);
        entry.placed = true;
      }
    }
  } catch (error) {
    // Each step of the way back is tried on its own, so one that fails does not strand the others.
    const stranded: string[] = [];
    for (const { index, hadPrevious, placed, createdDirs } of done.reverse()) {
      const target = join(dir, changes[index]!.path);
      try {
        if (placed) await rm(target, { force: true });
        for (const created of [...createdDirs].reverse()) await rmdir(created).catch(() => undefined);
        if (hadPrevious) await rename(join(previous, String(index)), target);
      } catch {
        stranded.push(changes[index]!.path);
      }
    }
    if (stranded.length > 0)
      throw new UserError(
        `Could not write the changes (${(error as Error).message}), nor put back ${stranded.join(', ')}: their previous versions are in ${previous}.`,
        EXIT.failed,
      );
    await rm(stage, { recursive: true, force: true });
    if (error instanceof UserError) throw error;
    throw new UserError(
      `Could not write the changes (${(error as Error).message}); the project was left as it was.`,
      EXIT.failed,
    );
  }
  await rm(stage, { recursive: true, force: true });
  for (const change of changes) if (change.action === 'delete') await pruneEmpty(dir, dirname(join(dir, change.path)));
}
