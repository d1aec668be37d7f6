import path from 'node:path';
import type { StaticContext } from '../check.js';
import { lineAt } from './files.js';

export const APP_FILE = 'src/app.ts';
export const ENTRY_FILE = 'src/index.ts';

const CODE_FILE = /\.(?:[cm]?ts|[cm]?js|tsx|jsx)$/;
const TEST_FILE = /(?:^|\/)(?:__tests__|test|tests)\/|\.(?:test|spec)\.[cm]?[jt]sx?$/;

/** One source file with comments blanked out, so a marker inside a comment is not evidence. */
export interface SourceFile {
  file: string;
  /** The file's text with comments replaced by spaces; offsets and lines match the file. */
  code: string;
}

/** The project's own code under `src/` (tests excluded), comments blanked. */
export async function sourceFiles(ctx: StaticContext): Promise<SourceFile[]> {
  const files = (await ctx.listFiles('src')).filter(
    (file) => CODE_FILE.test(file) && !TEST_FILE.test(file) && !file.endsWith('.d.ts'),
  );
  const out: SourceFile[] = [];
  for (const file of files) {
    const text = await ctx.readFile(file);
    if (text !== undefined) out.push({ file, code: stripComments(text) });
  }
  return out;
}

/** One file's code with comments blanked, or `undefined` when it does not exist. */
export async function sourceFile(ctx: StaticContext, file: string): Promise<SourceFile | undefined> {
  const text = await ctx.readFile(file);
  return text === undefined ? undefined : { file, code: stripComments(text) };
}

/** A match of a pattern in code, located for findings. */
export interface CodeMatch {
  file: string;
  line: number;
  text: string;
  index: number;
}

/** Every match of `pattern` across files, in file order. */
export function findAll(files: readonly SourceFile[], pattern: RegExp): CodeMatch[] {
  const out: CodeMatch[] = [];
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  for (const { file, code } of files) {
    for (const match of code.matchAll(global)) {
      out.push({ file, line: lineAt(code, match.index), text: match[0], index: match.index });
    }
  }
  return out;
}

export function findFirst(files: readonly SourceFile[], pattern: RegExp): CodeMatch | undefined {
  return findAll(files, pattern)[0];
}

/**
 * Blanks `//` and `/* *\/` comments, keeping strings, template literals and regular expression
 * literals intact and every newline in place (so lines still match the file).
 */
export function stripComments(text: string): string {
  const out = text.split('');
  let i = 0;
  // The last significant character decides whether a `/` starts a regex or is a division.
  let lastSignificant = '';
  let lastWord = '';
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n' && out[k] !== '\r') out[k] = ' ';
  };
  const skipString = (quote: string): void => {
    i++;
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\') i++;
      else if (quote !== '`' && text[i] === '\n') break;
      else if (quote === '`' && text[i] === '$' && text[i + 1] === '{') {
        i += 2;
        skipCode('}');
        continue;
      }
      i++;
    }
    i++;
  };
  const skipRegex = (): void => {
    i++;
    let inClass = false;
    while (i < text.length && text[i] !== '\n') {
      const ch = text[i];
      if (ch === '\\') i++;
      else if (ch === '[') inClass = true;
      else if (ch === ']') inClass = false;
      else if (ch === '/' && !inClass) break;
      i++;
    }
    i++;
    while (i < text.length && /[a-z]/i.test(text[i] ?? '')) i++;
  };
  const skipCode = (until: string | undefined): void => {
    let depth = 0;
    while (i < text.length) {
      const ch = text[i] as string;
      const next = text[i + 1];
      if (until && ch === until && depth === 0) {
        i++;
        lastSignificant = ch;
        return;
      }
      if (ch === '/' && next === '/') {
        const end = text.indexOf('\n', i);
        const stop = end < 0 ? text.length : end;
        blank(i, stop);
        i = stop;
        continue;
      }
      if (ch === '/' && next === '*') {
        const end = text.indexOf('*/', i + 2);
        const stop = end < 0 ? text.length : end + 2;
        blank(i, stop);
        i = stop;
        continue;
      }
      if (ch === '"' || ch === "'" || ch === '`') {
        skipString(ch);
        lastSignificant = ch;
        lastWord = '';
        continue;
      }
      if (ch === '/' && startsRegex(lastSignificant, lastWord)) {
        skipRegex();
        lastSignificant = '/';
        lastWord = '';
        continue;
      }
      if (ch === '{') depth++;
      if (ch === '}') depth--;
      if (/[A-Za-z0-9_$]/.test(ch)) {
        lastWord = /[A-Za-z0-9_$]/.test(lastSignificant) ? lastWord + ch : ch;
        lastSignificant = ch;
      } else if (!/\s/.test(ch)) {
        lastSignificant = ch;
        lastWord = '';
      }
      i++;
    }
  };
  skipCode(undefined);
  return out.join('');
}

const REGEX_AFTER_WORD = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

function startsRegex(lastSignificant: string, lastWord: string): boolean {
  if (lastSignificant === '') return true;
  if (/[A-Za-z0-9_$]/.test(lastSignificant)) return REGEX_AFTER_WORD.has(lastWord);
  return /[(,=:[!&|?{};+\-*%<>~^]/.test(lastSignificant);
}

/**
 * The text between the `(` at `openIndex` and its matching `)`, or `undefined` when unbalanced.
 * Strings are respected; comments must already be blanked.
 */
export function balancedArgs(code: string, openIndex: number): string | undefined {
  let depth = 0;
  for (let i = openIndex; i < code.length; i++) {
    const ch = code[i];
    if (ch === '"' || ch === "'" || ch === '`') {
      i = endOfString(code, i);
      continue;
    }
    if (ch === '(' || ch === '{' || ch === '[') depth++;
    if (ch === ')' || ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return code.slice(openIndex + 1, i);
    }
  }
  return undefined;
}

function endOfString(code: string, start: number): number {
  const quote = code[start];
  for (let i = start + 1; i < code.length; i++) {
    if (code[i] === '\\') i++;
    else if (code[i] === quote) return i;
  }
  return code.length;
}

/** A route registered on a Hono (or Express-like) app: `app.get('/health', ...)`. */
export interface Route {
  file: string;
  line: number;
  method: string;
  path: string;
  /** The arguments after the path: middleware and handler code. */
  handler: string;
}

const ROUTE =
  /\.(get|post|put|delete|patch|all|on)\s*\(\s*(?:\[[^\]]*\]\s*,\s*|['"][A-Z]+['"]\s*,\s*)?(['"`])([^'"`]+)\2/g;

/** Every route registered with a literal path. */
export function routes(files: readonly SourceFile[]): Route[] {
  const out: Route[] = [];
  for (const { file, code } of files) {
    for (const match of code.matchAll(ROUTE)) {
      const open = code.indexOf('(', match.index);
      const args = balancedArgs(code, open) ?? '';
      const afterPath = args.slice(args.indexOf(match[3] as string) + (match[3] as string).length + 1);
      out.push({
        file,
        line: lineAt(code, match.index),
        method: (match[1] as string).toLowerCase(),
        path: match[3] as string,
        handler: afterPath,
      });
    }
  }
  return out;
}

/** Routes serving `path` to GET requests. */
export function routesFor(all: readonly Route[], path: string): Route[] {
  return all.filter((route) => route.path === path && ['get', 'all', 'on'].includes(route.method));
}

/** Names a module exports (functions, consts, classes), read from its code. */
export function exportedNames(code: string): string[] {
  const names = new Set<string>();
  for (const match of code.matchAll(
    /export\s+(?:default\s+)?(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)/g,
  )) {
    names.add(match[1] as string);
  }
  for (const match of code.matchAll(/export\s*\{([^}]*)\}/g)) {
    for (const part of (match[1] as string).split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop()
        ?.trim();
      if (name) names.add(name);
    }
  }
  return [...names];
}

/** An import of `module` (by specifier ending) in `code`: the local names it binds. */
export function importsOf(
  code: string,
  isModule: (specifier: string) => boolean,
): { names: string[]; index: number }[] {
  const out: { names: string[]; index: number }[] = [];
  for (const match of code.matchAll(/import\s+(type\s+)?([^'";]*?)\s+from\s+(['"])([^'"]+)\3/g)) {
    if (match[1] || !isModule(match[4] as string)) continue;
    const clause = match[2] as string;
    const names: string[] = [];
    const named = /\{([^}]*)\}/.exec(clause);
    if (named) {
      for (const part of (named[1] as string).split(',')) {
        const trimmed = part.trim().replace(/^type\s+/, '');
        if (!trimmed || part.trim().startsWith('type ')) continue;
        names.push((trimmed.split(/\s+as\s+/).pop() as string).trim());
      }
    }
    const rest = clause
      .replace(/\{[^}]*\}/, '')
      .replace(/,/g, ' ')
      .trim();
    const namespace = /\*\s+as\s+([A-Za-z_$][\w$]*)/.exec(rest);
    if (namespace) names.push(namespace[1] as string);
    else if (rest && /^[A-Za-z_$][\w$]*$/.test(rest)) names.push(rest);
    out.push({ names, index: match.index });
  }
  return out;
}

/** Whether `name` is used in `code` other than in an import statement. */
export function isReferenced(code: string, name: string): boolean {
  const withoutImports = code.replace(/import\s+[^;]*?from\s+['"][^'"]+['"]\s*;?/g, (statement) =>
    ' '.repeat(statement.length),
  );
  return new RegExp(`(?<![\\w$.])${escapeRegExp(name)}(?![\\w$])`).test(withoutImports);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * String constants a file defines: `const NAME = 'x'` as `NAME`, and the literal members of
 * `const NAMES = { key: 'x' }` as `NAMES.key`, so code that names things through constants
 * can still be read.
 */
export function stringConstants(code: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of code.matchAll(/(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(['"])([^'"\n]*)\2/g)) {
    out.set(match[1] as string, match[3] as string);
  }
  for (const match of code.matchAll(/(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*\{/g)) {
    const body = balancedArgs(code, match.index + match[0].length - 1) ?? '';
    for (const member of body.matchAll(/(?:^|[,{\s])([A-Za-z_$][\w$]*|'[^']*'|"[^"]*")\s*:\s*(['"])([^'"\n]*)\2/g)) {
      out.set(`${match[1] as string}.${(member[1] as string).replace(/^['"]|['"]$/g, '')}`, member[3] as string);
    }
  }
  return out;
}

/** The initialiser of `const name = ...` (an array, object or call up to its closing bracket), or `undefined`. */
export function declarationOf(code: string, name: string): string | undefined {
  const match = new RegExp(`(?:const|let|var)\\s+${escapeRegExp(name)}\\b[^=]*=\\s*`).exec(code);
  if (!match) return undefined;
  const start = match.index + match[0].length;
  const opener = code[start];
  if (opener === '[' || opener === '{' || opener === '(') return balancedArgs(code, start);
  const end = code.indexOf(';', start);
  return code.slice(start, end < 0 ? undefined : end);
}

/**
 * Files reachable from `entry` through relative imports (static `import ... from` and
 * dynamic `import()`), `entry` included. Specifiers ending in `.js` map to `.ts` sources.
 */
export function reachableFrom(files: readonly SourceFile[], entry: string): Set<string> {
  const byPath = new Map(files.map((file) => [file.file, file]));
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const current = queue.pop() as string;
    if (seen.has(current)) continue;
    const file = byPath.get(current);
    if (!file) continue;
    seen.add(current);
    const directory = current.split('/').slice(0, -1).join('/');
    for (const specifier of runtimeImports(file.code)) {
      const target = resolveRelative(directory, specifier);
      for (const candidate of [
        target,
        target.replace(/\.(?:[cm]?js)$/, '.ts'),
        target.replace(/\.(?:[cm]?js)$/, '.tsx'),
        `${target}.ts`,
        `${target}/index.ts`,
      ]) {
        if (byPath.has(candidate)) {
          queue.push(candidate);
          break;
        }
      }
    }
  }
  return seen;
}

/** Relative modules a file loads at run time: type-only imports and re-exports load nothing. */
function runtimeImports(code: string): string[] {
  const out: string[] = [];
  const statements =
    /\b(import|export)\s+(type\s+)?(?:[^'";]*?\bfrom\s*)?(['"])(\.{1,2}\/[^'"]+)\3|\bimport\s*\(\s*(['"])(\.{1,2}\/[^'"]+)\5\s*\)/g;
  for (const match of code.matchAll(statements)) {
    if (match[6]) out.push(match[6]);
    else if (!match[2] && match[4]) out.push(match[4]);
  }
  return out;
}

function resolveRelative(directory: string, specifier: string): string {
  const parts = directory ? directory.split('/') : [];
  for (const segment of specifier.split('/')) {
    if (segment === '.' || segment === '') continue;
    if (segment === '..') parts.pop();
    else parts.push(segment);
  }
  return parts.join('/');
}

/** How a middleware module is wired into the app. */
export interface MiddlewareWiring {
  /** The middleware module, when one was found. */
  module?: SourceFile;
  /** The app file that imports and uses it, when it does. */
  usedIn?: string;
  /** Exported names of the module that the app references. */
  used: string[];
}

/**
 * Finds the middleware module whose file name matches `name` (under `src/middleware/`) and
 * whether `src/app.ts` imports one of its exports and uses it outside the import.
 */
export async function middlewareWiring(ctx: StaticContext, name: RegExp): Promise<MiddlewareWiring> {
  const candidates = (await ctx.listFiles('src/middleware')).filter(
    (file) => /\.[cm]?[jt]s$/.test(file) && !/\.(test|spec)\./.test(file) && name.test(path.posix.basename(file)),
  );
  const app = await sourceFile(ctx, APP_FILE);
  let unused: MiddlewareWiring | undefined;
  for (const file of candidates) {
    const module = await sourceFile(ctx, file);
    if (!module) continue;
    const used = app ? usedExports(app.code, module, file) : [];
    if (used.length > 0) return { module, used, usedIn: APP_FILE };
    unused ??= { module, used: [] };
  }
  return unused ?? { used: [] };
}

/** Exports of a middleware module that the app imports and references outside the import. */
function usedExports(appCode: string, module: SourceFile, file: string): string[] {
  const stem = path.posix.basename(file).replace(/\.[cm]?[jt]s$/, '');
  const fromApp = path.posix.relative(path.posix.dirname(APP_FILE), file).replace(/\.[cm]?[jt]s$/, '');
  const isModule = (specifier: string) => {
    const bare = specifier.replace(/\.(?:[cm]?js|[cm]?ts)$/, '').replace(/\/index$/, '');
    return bare === `./${fromApp}` || bare === fromApp || bare.endsWith(`/middleware/${stem}`);
  };
  const exported = new Set(exportedNames(module.code));
  const used: string[] = [];
  for (const imported of importsOf(appCode, isModule)) {
    for (const local of imported.names) if (isReferenced(appCode, local)) used.push(local);
  }
  // Type-only names wire nothing; prefer exports the module really defines.
  return used.filter((local) => exported.size === 0 || exported.has(local) || !/^[A-Z]/.test(local));
}

/** All source files, memoised per context. */
const sourcesCache = new WeakMap<StaticContext, Promise<SourceFile[]>>();
export function sources(ctx: StaticContext): Promise<SourceFile[]> {
  let pending = sourcesCache.get(ctx);
  if (!pending) {
    pending = sourceFiles(ctx);
    sourcesCache.set(ctx, pending);
  }
  return pending;
}
