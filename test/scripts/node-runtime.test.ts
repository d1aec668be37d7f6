import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeBinDir } from '../../scripts/node-runtime.mjs';

/** A line the machine's own Node is not of, so that nodeBinDir reads the cache instead of returning the system's. */
const major = process.versions.node.startsWith('24.') ? 22 : 24;
const cache = mkdtempSync(join(tmpdir(), 'node-runtime-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

/** A cached runtime (as npm would have installed it) that reports `version`. */
function cached(version: string): string {
  const bin = join(cache, String(major), 'node_modules', 'node', 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'node'), `#!/bin/sh\necho ${version}\n`);
  chmodSync(join(bin, 'node'), 0o755);
  return bin;
}

describe('nodeBinDir', () => {
  it('uses a runtime already in the cache, without fetching it again', async () => {
    const bin = cached(`v${major}.13.0`);
    expect(await nodeBinDir(major, cache)).toBe(bin);
  });

  it('refuses a cached runtime of another line, naming what it found', async () => {
    cached('v20.19.0');
    await expect(nodeBinDir(major, cache)).rejects.toThrow(`node is v20.19.0, expected Node ${major} >= 22.13`);
  });
});
