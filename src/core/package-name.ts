import { builtinModules } from 'node:module';
import { UserError } from './errors.js';

const MAX_LENGTH = 214;
const BLOCKED = new Set(['node_modules', 'favicon.ico']);

/** Why a string is not a valid npm package name, or undefined when it is. Same rules as npm. */
export function packageNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_LENGTH) return `it is longer than ${MAX_LENGTH} characters`;
  if (name.trim() !== name) return 'it has leading or trailing spaces';
  if (name !== name.toLowerCase()) return 'it has capital letters';
  if (/^[._]/.test(name)) return 'it starts with "." or "_"';
  if (BLOCKED.has(name) || builtinModules.includes(name)) return `"${name}" is reserved`;
  const scoped = /^@([^/]+)\/([^/]+)$/.exec(name);
  const parts = scoped ? [scoped[1]!, scoped[2]!] : [name];
  if (!scoped && name.includes('/')) return 'it contains "/" outside a scope (@scope/name)';
  for (const part of parts) {
    if (part.startsWith('.') || part.startsWith('_')) return `"${part}" starts with "." or "_"`;
    if (encodeURIComponent(part) !== part || /[~'!()*]/.test(part))
      return `"${part}" has characters that are not URL-safe (use a-z, 0-9, "-", "." and "_")`;
  }
  return undefined;
}

/** Turns a directory name into a package name candidate ("My App" -> "my-app"). */
export function toPackageName(dirName: string): string {
  return dirName
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/^[._]+/, '')
    .replace(/[^a-z0-9\-~._]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The package name to use: the given one, validated, or one derived from the target directory. */
export function resolvePackageName(given: string | undefined, dirName: string): string {
  if (given !== undefined) {
    const problem = packageNameProblem(given);
    if (problem)
      throw new UserError(`Invalid package name "${given}": ${problem}. Pass a valid npm package name with --name.`);
    return given;
  }
  const derived = toPackageName(dirName);
  const problem = packageNameProblem(derived);
  if (problem) {
    throw new UserError(
      `Cannot derive a package name from the directory "${dirName}" ("${derived}": ${problem}). Pass one with --name.`,
    );
  }
  return derived;
}

/** "my-mcp-app" or "@acme/my-mcp-app" -> "My Mcp App". */
export function toTitle(name: string): string {
  return (name.split('/').pop() ?? name)
    .split(/[-._]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}
