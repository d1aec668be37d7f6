import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = { create: join(ROOT, 'bin', 'create-mcp-arch.js'), mcpArch: join(ROOT, 'bin', 'mcp-arch.js') };

/** Runs a built bin as a user would, without a terminal, in CI mode unless told otherwise. */
export function run(bin: keyof typeof BIN, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return execa(process.execPath, [BIN[bin], ...args], {
    reject: false,
    stdin: 'ignore',
    cwd: options.cwd,
    env: { CI: 'true', NO_COLOR: '1', ...options.env },
  });
}

/** A temporary directory removed after the file's tests. */
export function tempDir(prefix = 'cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
