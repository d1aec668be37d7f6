import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { E2E, LIVE } from '../vitest.config.js';

const ROOT = join(import.meta.dirname, '..');

/** Test files an include entry names: the file itself, or the .test.ts files under a `dir/**` glob's folder. */
function matched(entry: string): string[] {
  const glob = entry.indexOf('/**/');
  if (glob === -1) return existsSync(join(ROOT, entry)) ? [entry] : [];
  const dir = entry.slice(0, glob);
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.test.ts'),
  );
}

describe('the vitest projects', () => {
  it('name only test files that exist: a renamed one would silently join the unit project', () => {
    expect([...LIVE, ...E2E].filter((entry) => matched(entry).length === 0)).toEqual([]);
  });
});
