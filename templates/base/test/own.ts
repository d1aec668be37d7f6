import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** This test file's own name in shared places (a store's key prefix), and its own folder, removed after its last test. */
export const OWN_ID = randomUUID();
export const OWN_DIR = join(tmpdir(), `mcp-test-${OWN_ID}`);
afterAll(() => rmSync(OWN_DIR, { recursive: true, force: true }));

/** A new folder for a test's files (a servers file, a fixture's records), inside this file's own folder: removed with it. */
export function tempDir(prefix: string): string {
  mkdirSync(OWN_DIR, { recursive: true });
  return mkdtempSync(join(OWN_DIR, `${prefix}-`));
}
