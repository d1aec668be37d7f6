import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../cli/run-bin.js';

/** Where Node runtimes fetched from the npm registry are kept between runs. */
export const NODE_CACHE = process.env.MCP_ARCH_NODE_CACHE ?? join(ROOT, '.cache', 'node');

function atLeast(version: string, major: number, minor: number): boolean {
  const [ma, mi] = version.replace(/^v/, '').split('.').map(Number) as [number, number];
  return ma > major || (ma === major && mi >= minor);
}

/**
 * The bin directory of a Node of the given major line: the system's when it is that line,
 * otherwise one installed once from the npm registry (`npm install --prefix <cache> node@<major>`).
 */
export async function nodeBinDir(major: 22 | 24): Promise<string> {
  if (process.versions.node.startsWith(`${major}.`) && atLeast(process.versions.node, 22, 13))
    return join(process.execPath, '..');
  const prefix = join(NODE_CACHE, String(major));
  const bin = join(prefix, 'node_modules', 'node', 'bin');
  if (!existsSync(join(bin, 'node'))) {
    mkdirSync(prefix, { recursive: true });
    await execa(
      'npm',
      ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `node@${major}`],
      { stdin: 'ignore' },
    );
    if (!existsSync(join(bin, 'node')))
      throw new Error(`npm installed node@${major} into ${prefix} but ${bin}/node is missing`);
  }
  const { stdout } = await execa(join(bin, 'node'), ['--version']);
  if (!stdout.startsWith(`v${major}.`) || !atLeast(stdout, 22, 13))
    throw new Error(`${bin}/node is ${stdout}, expected Node ${major} >= 22.13`);
  return bin;
}

/** Environment that runs `node` and `npm` of the given bin directory first. */
export function envWithNode(bin: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    PATH: `${bin}:${process.env.PATH}`,
    CI: 'true',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
    ...extra,
  };
}
