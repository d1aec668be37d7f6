import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InterruptedError, UserError } from '../../src/core/errors.js';
import { unsafePathProblem } from '../../src/render/paths.js';
import type { RenderedFile } from '../../src/render/render.js';
import { writeProject } from '../../src/render/writer.js';

const files: RenderedFile[] = [
  { path: 'package.json', contents: '{}\n', executable: false },
  { path: 'src/index.ts', contents: 'export {};\n', executable: false },
  { path: 'bin/run.sh', contents: '#!/bin/sh\n', executable: true },
];

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'writer-'));
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const leftovers = () => readdirSync(root).filter((e) => e.includes('staging'));

describe('writeProject', () => {
  it('writes a new directory, nested parents included, with modes', async () => {
    const target = join(root, 'a', 'b', 'app');
    await writeProject(target, files);
    expect(readFileSync(join(target, 'src/index.ts'), 'utf8')).toBe('export {};\n');
    expect(statSync(join(target, 'bin/run.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(target).mode & 0o755).toBe(0o755 & ~process.umask());
    expect(readdirSync(join(root, 'a', 'b'))).toEqual(['app']);
  });

  it('writes into an existing empty directory or one that holds only .git', async () => {
    const target = join(root, 'app');
    mkdirSync(join(target, '.git'), { recursive: true });
    await writeProject(target, files);
    expect(readdirSync(target).sort()).toEqual(['.git', 'bin', 'package.json', 'src']);
    expect(leftovers()).toEqual([]);
  });

  it('refuses a non-empty directory, lists the conflicts, and touches nothing', async () => {
    const target = join(root, 'app');
    mkdirSync(target);
    writeFileSync(join(target, 'package.json'), 'MINE');
    writeFileSync(join(target, 'notes.txt'), 'keep');
    const error = await writeProject(target, files).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/These would be overwritten: package\.json/);
    expect((error as Error).message).toMatch(/notes\.txt/);
    expect(readFileSync(join(target, 'package.json'), 'utf8')).toBe('MINE');
    expect(readdirSync(target).sort()).toEqual(['notes.txt', 'package.json']);
    expect(leftovers()).toEqual([]);
  });

  it('refuses a target that is a file', async () => {
    writeFileSync(join(root, 'file'), 'x');
    await expect(writeProject(join(root, 'file'), files)).rejects.toThrow(/not a directory/);
  });

  it.each(['../escape.txt', '/etc/passwd', 'a/../../b', 'a\\b', '', 'a//b', '.git/config', 'C:/x'])(
    'refuses the unsafe path %j and writes nothing',
    async (path) => {
      const target = join(root, 'app');
      await expect(writeProject(target, [...files, { path, contents: 'x', executable: false }])).rejects.toThrow(
        /Refusing to write/,
      );
      expect(existsSync(target)).toBe(false);
      expect(existsSync(join(root, 'escape.txt'))).toBe(false);
      expect(unsafePathProblem(path)).toBeDefined();
    },
  );

  it('leaves nothing behind when a write fails half-way', async () => {
    const target = join(root, 'x', 'app');
    // "src" as a file and "src/index.ts" cannot both exist: the second write fails after the first.
    const clash: RenderedFile[] = [{ path: 'src', contents: 'file', executable: false }, ...files];
    await expect(writeProject(target, clash)).rejects.toThrow();
    expect(readdirSync(root)).toEqual([]);
  });

  it('stops and cleans up when interrupted', async () => {
    const target = join(root, 'app');
    const controller = new AbortController();
    controller.abort();
    await expect(writeProject(target, files, { signal: controller.signal })).rejects.toBeInstanceOf(InterruptedError);
    expect(readdirSync(root)).toEqual([]);
  });
});
