import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE } from '../core/manifest.js';
import type { RenderedFile } from '../render/render.js';
import type { ConflictStyle } from './ids.js';
import { keepOurs, mergeJson, mergeText, parseJson, rejectFile, type Conflict } from './merge.js';

/** One file the evolution writes or removes. */
export interface FileChange {
  path: string;
  action: 'create' | 'update' | 'delete';
  /** New contents, for create and update. */
  contents?: string | Buffer;
  executable?: boolean;
  /** Regions both you and the generator changed, written as markers or a `.rej` file. */
  conflicts: number;
}

/** What an evolution would do, before anything is written. */
export interface EvolutionPlan {
  changes: FileChange[];
  /** Files the generator changes between the base and the new rendering (what check-update reports). */
  generatorChanges: string[];
  /** Decisions the user should know of that change no file (e.g. a file you changed that the generator dropped). */
  notes: string[];
}

const text = (contents: string | Buffer) => (typeof contents === 'string' ? contents : contents.toString('utf8'));
const isBinary = (contents: string | Buffer) => typeof contents !== 'string' && contents.includes(0);
const sameContents = (a: string | Buffer, b: string | Buffer) =>
  Buffer.from(a as string).equals(Buffer.from(b as string));

async function readOurs(dir: string, path: string): Promise<Buffer | undefined> {
  try {
    const info = await lstat(join(dir, path));
    return info.isFile() ? await readFile(join(dir, path)) : undefined;
  } catch {
    return undefined;
  }
}

export interface PlanInput {
  dir: string;
  base: readonly RenderedFile[];
  theirs: readonly RenderedFile[];
  conflict: ConflictStyle;
  /** Fields of the project's `mcp-arch.json` that no rendering knows and that stay (the advisor's answers). */
  carried?: Record<string, unknown>;
}

/** The manifest is the generator's record of the project: always the new one, with the carried fields. */
function manifestWith(theirs: string | Buffer, carried: Record<string, unknown>): string {
  if (Object.keys(carried).length === 0) return text(theirs);
  return `${JSON.stringify({ ...(JSON.parse(text(theirs)) as object), ...carried }, null, 2)}\n`;
}

/**
 * The three-way merge of a project: base = the recorded options rendered by the generator that
 * made it, ours = the files on disk, theirs = the new rendering. A file only you changed stays
 * yours; a file only the generator changed takes its change; a file both changed is merged line
 * by line (package.json key by key) and what cannot be merged is a conflict, never resolved
 * silently. Files no rendering knows (your own) are not looked at.
 */
export async function planEvolution({ dir, base, theirs, conflict, carried = {} }: PlanInput): Promise<EvolutionPlan> {
  const baseByPath = new Map(base.map((file) => [file.path, file]));
  const theirsByPath = new Map(theirs.map((file) => [file.path, file]));
  const paths = [...new Set([...baseByPath.keys(), ...theirsByPath.keys()])].sort();
  const changes: FileChange[] = [];
  const notes: string[] = [];
  const generatorChanges: string[] = [];

  const write = (
    path: string,
    contents: string | Buffer,
    ours: Buffer | undefined,
    executable = false,
    conflicts = 0,
  ) => {
    if (ours !== undefined && sameContents(ours, contents) && conflicts === 0) return;
    changes.push({ path, action: ours === undefined ? 'create' : 'update', contents, executable, conflicts });
  };
  const reject = async (path: string, conflicts: readonly Conflict[] | string, count: number) => {
    const body = typeof conflicts === 'string' ? conflicts : rejectFile(path, conflicts);
    write(`${path}.rej`, body, await readOurs(dir, `${path}.rej`), false, count);
  };

  for (const path of paths) {
    const b = baseByPath.get(path);
    const t = theirsByPath.get(path);
    if (!b || !t || !sameContents(b.contents, t.contents)) generatorChanges.push(path);
    const ours = await readOurs(dir, path);

    if (path === MANIFEST_FILE && t) {
      write(path, manifestWith(t.contents, carried), ours);
      continue;
    }
    if (!t) {
      // The generator no longer writes it: removed when it is as generated, else kept.
      if (ours === undefined || !b) continue;
      if (sameContents(ours, b.contents)) changes.push({ path, action: 'delete', conflicts: 0 });
      else notes.push(`${path}: this version no longer generates it; kept because you changed it.`);
      continue;
    }
    if (ours === undefined) {
      if (!b) write(path, t.contents, undefined, t.executable);
      else if (!sameContents(b.contents, t.contents)) {
        // You deleted it and the generator changed it: shown, not decided.
        const merged = await mergeText(text(b.contents), '', text(t.contents));
        if (conflict === 'rej') {
          await reject(path, merged.conflicts, Math.max(merged.conflicts.length, 1));
          notes.push(`${path}: you deleted it and this version changes it; the change is in ${path}.rej.`);
        } else write(path, merged.text, undefined, t.executable, Math.max(merged.conflicts.length, 1));
      }
      continue;
    }
    const baseContents = b?.contents ?? '';
    if (sameContents(ours, t.contents) || sameContents(baseContents, t.contents)) continue;
    if (sameContents(ours, baseContents)) {
      write(path, t.contents, ours, t.executable);
      continue;
    }
    if (isBinary(ours) || isBinary(t.contents) || isBinary(baseContents)) {
      notes.push(`${path}: a binary file you and this version both changed; yours was kept.`);
      changes.push({ path, action: 'update', contents: ours, executable: t.executable, conflicts: 1 });
      continue;
    }
    if (path === 'package.json' || path.endsWith('/package.json')) {
      const [pb, po, pt] = [parseJson(text(baseContents)), parseJson(text(ours)), parseJson(text(t.contents))];
      if (pb !== undefined && po !== undefined && pt !== undefined) {
        const merged = mergeJson(pb, po, pt);
        if (merged.conflicts.length === 0 || conflict === 'rej') {
          write(path, `${JSON.stringify(merged.value, null, 2)}\n`, ours, t.executable);
          if (merged.conflicts.length > 0) {
            const lines = merged.conflicts.map((key) => `- ${key}: yours kept`).join('\n');
            await reject(
              path,
              `--- ${path}\n+++ ${path}\nKeys you and this version both changed:\n${lines}\n`,
              merged.conflicts.length,
            );
          }
          continue;
        }
        // Both changed one key: the text merge shows it with markers.
      }
    }
    const merged = await mergeText(text(baseContents), text(ours), text(t.contents));
    if (merged.conflicts.length === 0) write(path, merged.text, ours, t.executable);
    else if (conflict === 'markers') write(path, merged.text, ours, t.executable, merged.conflicts.length);
    else {
      write(path, keepOurs(merged.text), ours, t.executable);
      await reject(path, merged.conflicts, merged.conflicts.length);
    }
  }
  return { changes, generatorChanges, notes };
}

/** Conflicts across a plan: regions in files with markers plus files written as `.rej`. */
export function conflictCount(plan: EvolutionPlan): number {
  return plan.changes.reduce((sum, change) => sum + change.conflicts, 0);
}
