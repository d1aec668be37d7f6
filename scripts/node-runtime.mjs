// The Node runtimes that generated projects run on (>= 22.13), for the tests and the benchmarks:
// the system's Node where it is of the line asked for, otherwise one installed once from the npm
// registry (`npm install --prefix <cache>/<major> node@<major>`) and kept between runs.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where runtimes fetched from the npm registry are kept: `.cache/node` of the clone, or MCP_ARCH_NODE_CACHE. */
const NODE_CACHE =
  process.env.MCP_ARCH_NODE_CACHE ?? join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), '.cache', 'node');

/**
 * @param {string} version e.g. v22.13.0
 * @returns {boolean} whether it is 22.13 or newer
 */
function supported(version) {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 13);
}

/**
 * The bin directory of a Node of the given major line, fetched once into `cache` when the
 * system's is another.
 * @param {22 | 24} major
 * @param {string} [cache]
 * @returns {Promise<string>}
 */
export async function nodeBinDir(major, cache = NODE_CACHE) {
  if (process.versions.node.startsWith(`${major}.`) && supported(process.versions.node))
    return dirname(process.execPath);
  const prefix = join(cache, String(major));
  const bin = join(prefix, 'node_modules', 'node', 'bin');
  if (!existsSync(join(bin, 'node'))) {
    mkdirSync(prefix, { recursive: true });
    await run(
      'npm',
      ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `node@${major}`],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    if (!existsSync(join(bin, 'node')))
      throw new Error(`npm installed node@${major} into ${prefix} but ${bin}/node is missing`);
  }
  const { stdout } = await run(join(bin, 'node'), ['--version']);
  const version = stdout.trim();
  if (!version.startsWith(`v${major}.`) || !supported(version))
    throw new Error(`${bin}/node is ${version}, expected Node ${major} >= 22.13`);
  return bin;
}
