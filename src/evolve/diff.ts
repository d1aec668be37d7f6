import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { hasGit } from './merge.js';
import type { FileChange } from './plan.js';

/**
 * The unified diff of the changes against the files on disk, as `git diff --no-index` prints it
 * (paths `a/<file>` and `b/<file>`). Without git, each change is named instead of shown.
 */
export async function unifiedDiff(dir: string, changes: readonly FileChange[]): Promise<string> {
  if (!(await hasGit()))
    return changes.map((change) => `${change.action} ${change.path} (install git to see the diff)\n`).join('');
  const work = await mkdtemp(join(tmpdir(), 'mcp-arch-diff-'));
  try {
    const parts: string[] = [];
    for (const change of changes) {
      const before = await readFile(join(dir, change.path)).catch(() => undefined);
      const sides: string[] = [];
      for (const [side, contents] of [
        ['a', before],
        ['b', change.action === 'delete' ? undefined : (change.contents ?? '')],
      ] as const) {
        if (contents === undefined) {
          sides.push('/dev/null');
          continue;
        }
        const path = join(work, side, change.path);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, contents);
        sides.push(`${side}/${change.path}`);
      }
      const result = await execa('git', ['diff', '--no-index', '--no-color', '--no-prefix', '--', ...sides], {
        cwd: work,
        reject: false,
        stripFinalNewline: false,
      });
      parts.push(result.stdout);
    }
    return parts.join('');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
