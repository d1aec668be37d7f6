import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import type { RenderedFile } from '../../src/render/render.js';
import { run } from '../cli/run-bin.js';

/** Every file under `dir` but `.git`, with its contents and mode: equal hashes, equal trees. */
export function treeHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === '.git') continue;
      const full = join(current, entry.name);
      const path = relative(dir, full).split(sep).join('/');
      if (entry.isDirectory()) {
        hash.update(`dir ${path}\n`);
        walk(full);
      } else hash.update(`file ${path} ${statSync(full).mode}\n`).update(readFileSync(full));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

/** Generates a project with the CLI, in this process, without installing. */
export async function generate(dir: string, args: string[]): Promise<void> {
  const result = await run('mcpArch', ['generate', dir, ...args, '--yes', '--no-install', '--no-git']);
  expect(result.exitCode, result.stderr).toBe(0);
}

/** Writes rendered files under `dir`. */
export function writeTree(dir: string, files: readonly RenderedFile[]): void {
  for (const file of files) {
    const path = join(dir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.contents, { mode: file.executable ? 0o755 : 0o644 });
  }
}

export const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
export const write = (dir: string, path: string, text: string) => writeFileSync(join(dir, path), text);
export const textOf = (files: readonly RenderedFile[], path: string): string | undefined => {
  const file = files.find((candidate) => candidate.path === path);
  return file === undefined ? undefined : file.contents.toString();
};

/**
 * A line of `before` that the change to `after` leaves alone with three lines of context on each
 * side (so an edit of it merges cleanly), chosen among lines `accept` takes. Throws when none is.
 */
export function stableLine(before: string, after: string, accept: (line: string) => boolean): string {
  return stableLineAcross([before, after], accept);
}

/** Whether `line` is once in `a` and once in `b`, with the same three lines of context on each side. */
function keptWithContext(a: readonly string[], b: readonly string[], line: string): boolean {
  const i = a.indexOf(line);
  const j = b.indexOf(line);
  if (i === -1 || j === -1 || a.lastIndexOf(line) !== i || b.lastIndexOf(line) !== j) return false;
  return [-3, -2, -1, 1, 2, 3].every((offset) => a[i + offset] !== undefined && a[i + offset] === b[j + offset]);
}

/**
 * A line of the first text that every change along `texts` (one rendering per step of a chain of
 * evolutions) leaves alone with its context, among lines `accept` takes. Throws when none is.
 */
export function stableLineAcross(texts: readonly string[], accept: (line: string) => boolean): string {
  const lines = texts.map((text) => text.split('\n'));
  const first = lines[0]!;
  for (let i = 3; i < first.length - 3; i += 1) {
    const line = first[i]!;
    if (!accept(line)) continue;
    if (lines.slice(1).every((next, index) => keptWithContext(lines[index]!, next, line))) return line;
  }
  throw new Error('no line with unchanged context');
}

/** A line of `before` that `after` changes or drops (its first one), with its index. */
export function changedLine(before: string, after: string): number {
  const b = new Set(after.split('\n'));
  const index = before.split('\n').findIndex((line) => line.trim() !== '' && !b.has(line));
  if (index === -1) throw new Error('no changed line');
  return index;
}

/** Initialises a git repository in `dir` holding every file, committed. */
export async function commitAll(dir: string): Promise<void> {
  const git = (...args: string[]) =>
    execa('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-C', dir, ...args]);
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'generated');
}
