import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { packageNameProblem, resolvePackageName, toPackageName, toTitle } from '../../src/core/package-name.js';

describe('package names', () => {
  it.each(['my-app', 'app2', '@acme/mcp-server', 'a.b', 'x_y'])('accepts %s', (name) => {
    expect(packageNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['My-App', /capital/],
    ['.hidden', /starts with/],
    ['_under', /starts with/],
    ['a/b', /scope/],
    ['@scope/', /scope|empty|URL/],
    ['../escape', /starts with|scope/],
    ['has space', /URL-safe/],
    ['fs', /reserved/],
    ['node_modules', /reserved/],
    ['x'.repeat(215), /longer/],
    ['emoji-😀', /URL-safe/],
  ])('rejects %j', (name, reason) => {
    expect(packageNameProblem(name)).toMatch(reason);
  });

  it('derives a valid name from a directory name', () => {
    expect(toPackageName('My Cool App')).toBe('my-cool-app');
    expect(toPackageName('.Weird__Name!!')).toBe('weird__name');
    expect(resolvePackageName(undefined, 'My App')).toBe('my-app');
  });

  it('refuses an invalid given name, naming --name', () => {
    expect(() => resolvePackageName('Bad Name', 'whatever')).toThrow(UserError);
    expect(() => resolvePackageName('Bad Name', 'whatever')).toThrow(/--name/);
  });

  it('refuses a directory that yields no valid name, naming --name', () => {
    expect(() => resolvePackageName(undefined, '!!!')).toThrow(/--name/);
  });

  it('titles', () => {
    expect(toTitle('@acme/my-mcp_app')).toBe('My Mcp App');
  });
});
