import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** The three sides of a merge, named as conflict markers and `.rej` files show them. */
export const LABELS = { ours: 'yours', base: 'generated', theirs: 'upgrade' } as const;

/** One region both sides changed: the generator's change that was not applied. */
export interface Conflict {
  base: string[];
  ours: string[];
  theirs: string[];
}

/**
 * A merged text. `text` carries conflict markers where both sides changed one region;
 * `conflicts` lists those regions (empty: a clean merge).
 */
export interface TextMerge {
  text: string;
  conflicts: Conflict[];
}

/** Whether `git` can be run; asked once. */
let gitAvailable: Promise<boolean> | undefined;
export function hasGit(): Promise<boolean> {
  gitAvailable ??= execa('git', ['--version'], { reject: false }).then(
    (result) => result.exitCode === 0,
    () => false,
  );
  return gitAvailable;
}

const MARKER = { ours: '<<<<<<<', base: '|||||||', split: '=======', theirs: '>>>>>>>' } as const;

/**
 * Reads the conflict regions out of `git merge-file --diff3` output (markers with our labels), so
 * that a `.rej` file can hold the generator's side of each.
 */
export function conflictsIn(text: string): Conflict[] {
  const conflicts: Conflict[] = [];
  let current: Conflict | undefined;
  let side: keyof Conflict = 'ours';
  for (const line of text.split('\n')) {
    if (line === `${MARKER.ours} ${LABELS.ours}`) {
      current = { base: [], ours: [], theirs: [] };
      side = 'ours';
    } else if (current && line === `${MARKER.base} ${LABELS.base}`) side = 'base';
    else if (current && line === MARKER.split) side = 'theirs';
    else if (current && line === `${MARKER.theirs} ${LABELS.theirs}`) {
      conflicts.push(current);
      current = undefined;
    } else if (current) current[side].push(line);
  }
  return conflicts;
}

/** Keeps our side of every conflict region of a diff3-marked text: what a `.rej` run writes. */
export function keepOurs(text: string): string {
  const out: string[] = [];
  let side: 'none' | 'ours' | 'other' = 'none';
  for (const line of text.split('\n')) {
    if (line === `${MARKER.ours} ${LABELS.ours}`) side = 'ours';
    else if (side !== 'none' && line === `${MARKER.base} ${LABELS.base}`) side = 'other';
    else if (side !== 'none' && line === MARKER.split) side = 'other';
    else if (side !== 'none' && line === `${MARKER.theirs} ${LABELS.theirs}`) side = 'none';
    else if (side !== 'other') out.push(line);
  }
  return out.join('\n');
}

function wholeFileConflict(base: string, ours: string, theirs: string): TextMerge {
  const lines = (text: string) => (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  const body = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);
  return {
    text:
      `${MARKER.ours} ${LABELS.ours}\n${body(ours)}${MARKER.base} ${LABELS.base}\n${body(base)}` +
      `${MARKER.split}\n${body(theirs)}${MARKER.theirs} ${LABELS.theirs}\n`,
    conflicts: [{ base: lines(base), ours: lines(ours), theirs: lines(theirs) }],
  };
}

/**
 * Three-way merge of one text file, line by line. The trivial cases are decided here; the rest by
 * `git merge-file --diff3`, the merge git itself uses. Without git, a file both sides changed
 * is one conflict spanning the whole file: never resolved silently, only less precise.
 */
export async function mergeText(
  base: string,
  ours: string,
  theirs: string,
  { git }: { git?: boolean } = {},
): Promise<TextMerge> {
  if (ours === theirs || theirs === base) return { text: ours, conflicts: [] };
  if (ours === base) return { text: theirs, conflicts: [] };
  if (!(git ?? (await hasGit()))) return wholeFileConflict(base, ours, theirs);
  const dir = await mkdtemp(join(tmpdir(), 'mcp-arch-merge-'));
  try {
    const paths = { ours: join(dir, 'ours'), base: join(dir, 'base'), theirs: join(dir, 'theirs') };
    await Promise.all([writeFile(paths.ours, ours), writeFile(paths.base, base), writeFile(paths.theirs, theirs)]);
    const result = await execa(
      'git',
      [
        'merge-file',
        '-p',
        '--diff3',
        '-L',
        LABELS.ours,
        '-L',
        LABELS.base,
        '-L',
        LABELS.theirs,
        paths.ours,
        paths.base,
        paths.theirs,
      ],
      { reject: false, stripFinalNewline: false },
    );
    // git merge-file answers the number of conflicts (0 clean), negative or above 127 on error.
    if (typeof result.exitCode !== 'number' || result.exitCode < 0 || result.exitCode > 127)
      throw new Error(`git merge-file failed: ${result.stderr}`);
    const text = result.stdout;
    return { text, conflicts: result.exitCode === 0 ? [] : conflictsIn(text) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A `.rej` file: the generator's changes that met your edits, one hunk per conflict, base to theirs. */
export function rejectFile(path: string, conflicts: readonly Conflict[]): string {
  const hunks = conflicts.map(
    (conflict, index) =>
      `@@ conflict ${index + 1} of ${conflicts.length}: your lines were kept @@\n` +
      conflict.base.map((line) => `-${line}\n`).join('') +
      conflict.theirs.map((line) => `+${line}\n`).join(''),
  );
  return `--- ${path} (${LABELS.base})\n+++ ${path} (${LABELS.theirs})\n${hunks.join('')}`;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const same = (a: Json | undefined, b: Json | undefined) => JSON.stringify(a) === JSON.stringify(b);

/** A JSON merge: the merged value, and the key paths both sides changed differently. */
export interface JsonMerge {
  value: Json | undefined;
  conflicts: string[];
}

/**
 * Three-way merge of JSON values key by key (package.json's dependencies and scripts): a key
 * one side changed takes that side; a key both changed alike is kept; a key both changed
 * differently is a conflict (ours kept, named in `conflicts`). Key order is ours, then new keys.
 */
export function mergeJson(
  base: Json | undefined,
  ours: Json | undefined,
  theirs: Json | undefined,
  at = '',
): JsonMerge {
  if (same(ours, theirs) || same(theirs, base)) return { value: ours, conflicts: [] };
  if (same(ours, base)) return { value: theirs, conflicts: [] };
  if (isObject(ours) && isObject(theirs) && (base === undefined || isObject(base))) {
    const value: { [key: string]: Json } = {};
    const conflicts: string[] = [];
    const keys = [...Object.keys(ours), ...Object.keys(theirs).filter((key) => !(key in ours))];
    for (const key of keys) {
      const merged = mergeJson(base?.[key], ours[key], theirs[key], at === '' ? key : `${at}.${key}`);
      conflicts.push(...merged.conflicts);
      if (merged.value !== undefined) value[key] = merged.value;
    }
    return { value, conflicts };
  }
  return { value: ours, conflicts: [at === '' ? '(whole file)' : at] };
}

/** Parses JSON text, or undefined when it is not JSON (then the file merges as text). */
export function parseJson(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}
