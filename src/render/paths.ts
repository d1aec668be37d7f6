import { isAbsolute } from 'node:path';

/**
 * Why a generated file path could land outside the target, or undefined when it is safe.
 * Every path the writer writes is checked, whatever produced it (templates, answers, components).
 */
export function unsafePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'it is empty';
  if (path.includes('\0')) return 'it contains a NUL byte';
  if (path.includes('\\')) return 'it contains a backslash';
  if (isAbsolute(path) || /^[a-zA-Z]:/.test(path)) return 'it is absolute';
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return 'it has an empty, "." or ".." segment';
  if (segments[0] === '.git') return 'it writes into .git';
  return undefined;
}
