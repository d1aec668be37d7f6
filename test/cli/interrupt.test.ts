import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runProcess, tempDir } from './run-bin.js';

// A signal needs a process of its own: the built bin, interrupted while it installs.
it('Ctrl-C during the install exits 130 and says where the complete project is', async () => {
  const cwd = tempDir('interrupt-');
  const slowBin = join(cwd, 'slow-bin');
  mkdirSync(slowBin);
  writeFileSync(join(slowBin, 'npm'), '#!/bin/sh\n[ "$1" = --version ] && { echo 11.0.0; exit 0; }\nexec sleep 30\n');
  chmodSync(join(slowBin, 'npm'), 0o755);
  const child = runProcess(
    'mcpArch',
    ['generate', 'interrupted', '--pattern', 'single', '--yes', '--no-git', '--pm', 'npm'],
    {
      cwd,
      env: { PATH: `${slowBin}:${process.env.PATH}` },
    },
  );
  try {
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('Installing') && resolve()),
    );
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/Interrupted while installing: the project is complete in .*interrupted/);
    expect(existsSync(join(cwd, 'interrupted', 'mcp-arch.json'))).toBe(true);
  } finally {
    child.kill('SIGKILL');
  }
});
