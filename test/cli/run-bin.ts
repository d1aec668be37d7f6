import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll } from 'vitest';
import { createMain } from '../../src/cli/create-program.js';
import type { CliIo } from '../../src/cli/io.js';
import { mcpArchMain } from '../../src/cli/mcp-arch-program.js';
import { execute } from '../../src/cli/run.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = { create: join(ROOT, 'bin', 'create-mcp-arch.js'), mcpArch: join(ROOT, 'bin', 'mcp-arch.js') };
const MAINS = { create: createMain, mcpArch: mcpArchMain };

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a CLI program in this process, exactly as its bin would (same parsing, same exit codes),
 * without a terminal and in CI mode unless told otherwise; output is collected, nothing exits.
 */
export async function run(bin: keyof typeof BIN, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = {
    stdout: { write: (text: string) => stdout.push(text) },
    stderr: { write: (text: string) => stderr.push(text) },
    stdin: {},
    env: { ...process.env, CI: 'true', NO_COLOR: '1', ...options.env },
    cwd: resolve(options.cwd ?? process.cwd()),
  };
  const exitCode = await execute(MAINS[bin](args), io);
  return { exitCode, stdout: stdout.join(''), stderr: stderr.join('') };
}

/** Runs a built bin in a process of its own, for what only a process shows (signals, the bin's guard). */
export function runProcess(bin: keyof typeof BIN, args: string[], options: RunOptions = {}) {
  return execa(process.execPath, [BIN[bin], ...args], {
    reject: false,
    stdin: 'ignore',
    cwd: options.cwd,
    env: { CI: 'true', NO_COLOR: '1', ...options.env },
  });
}

/** A temporary directory removed after the file's tests (or the describe block's): make it at either level, not inside a test. */
export function tempDir(prefix = 'cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
