import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { run } from '../cli/run-bin.js';
import { envWithNode } from './node-runtime.js';

/**
 * Generates a project with the real CLI (`mcp-arch generate <name> <args> --yes`) in `work` and
 * installs its dependencies with the given Node, as a user would; returns the project directory.
 */
export async function generateInstalled(work: string, name: string, args: string[], nodeBin: string): Promise<string> {
  const generated = await run('mcpArch', ['generate', name, ...args, '--yes', '--no-install', '--no-git'], { cwd: work });
  expect(generated.exitCode, generated.stderr).toBe(0);
  const dir = join(work, name);
  await execa('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env: envWithNode(nodeBin), stdin: 'ignore' });
  return dir;
}
