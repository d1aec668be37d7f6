import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, UserError } from '../../core/errors.js';
import type { Manifest } from '../../core/manifest.js';
import type { StaticContext } from '../check.js';

/** Folders that hold dependencies, build output or tool state, never the project's own files. */
const IGNORED_DIRS = new Set([
  'node_modules',
  'dist',
  'build',
  'coverage',
  '.git',
  '.cache',
  '.turbo',
  '.vercel',
  '.aws-sam',
]);

/** Builds the context static checks share; file reads and listings are cached for the run. */
export function createStaticContext(dir: string, manifest: Manifest): StaticContext {
  const root = path.resolve(dir);
  const files = new Map<string, Promise<string | undefined>>();
  let listing: Promise<string[]> | undefined;

  const toPosix = (rel: string) => rel.split(path.sep).join('/');
  const resolveInside = (rel: string) => {
    const abs = path.resolve(root, rel);
    if (abs !== root && !abs.startsWith(root + path.sep)) {
      throw new Error(`${rel} is outside the project`);
    }
    return abs;
  };

  const readCached = (rel: string): Promise<string | undefined> => {
    const key = toPosix(path.normalize(rel));
    let pending = files.get(key);
    if (!pending) {
      pending = readFile(resolveInside(key), 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
        throw new Error(`cannot read ${key}: ${error.code ?? error.message}`);
      });
      files.set(key, pending);
    }
    return pending;
  };

  const listAll = async (): Promise<string[]> => {
    const out: string[] = [];
    const walk = async (absDir: string, relDir: string): Promise<void> => {
      const entries = await readdir(absDir, { withFileTypes: true });
      for (const entry of entries) {
        const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (!IGNORED_DIRS.has(entry.name)) await walk(path.join(absDir, entry.name), rel);
        } else if (entry.isFile()) {
          out.push(rel);
        }
      }
    };
    await walk(root, '');
    return out.sort();
  };

  return {
    dir: root,
    manifest,
    readFile: readCached,
    async exists(rel) {
      const key = toPosix(path.normalize(rel)).replace(/\/$/, '');
      const all = await (listing ??= listAll());
      return all.some((file) => file === key || file.startsWith(`${key}/`));
    },
    async listFiles(rel = '') {
      const all = await (listing ??= listAll());
      const prefix = toPosix(path.normalize(rel)).replace(/^\.$/, '').replace(/\/$/, '');
      return prefix ? all.filter((file) => file.startsWith(`${prefix}/`)) : all;
    },
    async lineOf(rel, pattern) {
      const text = await readCached(rel);
      if (text === undefined) return undefined;
      return lineOfMatch(text, pattern);
    },
  };
}

/** 1-based line of the first match, or `undefined`. */
export function lineOfMatch(text: string, pattern: RegExp | string): number | undefined {
  let index: number;
  if (typeof pattern === 'string') {
    index = text.indexOf(pattern);
  } else {
    const flags = pattern.flags.replace(/[gy]/g, '');
    const match = new RegExp(pattern.source, flags).exec(text);
    index = match ? match.index : -1;
  }
  return index < 0 ? undefined : lineAt(text, index);
}

/** 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) line++;
  }
  return line;
}

/**
 * The text of a file a verify flag names (`--config`, `--baseline`): undefined when an optional
 * default file is absent; otherwise a usage error naming the flag, the file and an example to write.
 */
export async function readFlagFile(
  flag: string,
  file: string,
  { required, example }: { required: boolean; example: string },
): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    throw new UserError(
      `${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? (error as Error).message})`}. Pass an existing file, e.g. ${example}.`,
      EXIT.usage,
    );
  }
}
