import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runProcess, tempDir } from '../cli/run-bin.js';
import { commitAll, generate, treeHash } from './helpers.js';

/**
 * `mcp-arch add` and `migrate` in a real pseudo-terminal (tmux): the plan is shown and the user
 * is asked before anything is written; `--yes` asks nothing; without a terminal, no `--yes` is a
 * usage error that names it.
 */
const socket = `mcp-arch-evolve-test-${process.pid}`;
const tmux = (...args: string[]) => execa('tmux', ['-L', socket, ...args], { reject: false });
const root = tempDir('evolve-pty-');
afterAll(async () => {
  await tmux('kill-server');
});

async function screen(session: string): Promise<string> {
  return (await tmux('capture-pane', '-p', '-t', session)).stdout;
}

async function waitFor(session: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await screen(session);
    if (pattern.test(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${pattern} on screen:\n${text}`);
}

/** Starts `mcp-arch <args>` in a terminal of its own; answers the file its exit code is written to. */
async function start(session: string, args: string[]): Promise<string> {
  const exitFile = join(root, `${session}.exit`);
  const command = `env -u CI NO_COLOR=1 ${process.execPath} ${BIN.mcpArch} ${args.join(' ')}; echo $? > ${exitFile}; sleep 30`;
  const result = await tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '60', command);
  expect(result.exitCode, result.stderr).toBe(0);
  return exitFile;
}

async function exitCode(exitFile: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (!existsSync(exitFile) || readFileSync(exitFile, 'utf8').trim() === '') {
    if (Date.now() > deadline) throw new Error('mcp-arch did not exit');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Number(readFileSync(exitFile, 'utf8').trim());
}

const store = (dir: string) => JSON.parse(readFileSync(join(dir, 'mcp-arch.json'), 'utf8')).store as string;

describe('add and migrate in a terminal', () => {
  const dir = join(root, 'demo');
  beforeAll(async () => {
    await generate(dir, ['--pattern', 'single']);
    await commitAll(dir);
  });

  it('shows the plan and writes nothing when the answer is no', async () => {
    const hash = treeHash(dir);
    const exitFile = await start('declined', ['add', 'store', 'database', '--dir', dir]);
    const shown = await waitFor('declined', /Apply \d+ change\(s\) to/);
    expect(shown).toMatch(/Changes:\n(?:.*\n)*\s+create src\/store\/database\.ts/);
    expect(shown).toMatch(/update mcp-arch\.json/);
    await tmux('send-keys', '-t', 'declined', 'n', 'Enter');
    expect(await exitCode(exitFile)).toBe(0);
    expect(await screen('declined')).toContain('Nothing was written.');
    expect(treeHash(dir)).toBe(hash);
  });

  it('applies the plan when the answer is yes', async () => {
    const exitFile = await start('accepted', ['add', 'store', 'database', '--dir', dir]);
    await waitFor('accepted', /Apply \d+ change\(s\) to/);
    await tmux('send-keys', '-t', 'accepted', 'y', 'Enter');
    expect(await exitCode(exitFile)).toBe(0);
    expect(await screen('accepted')).toContain('Done. Next: npm install, npm test, npm run verify.');
    expect(store(dir)).toBe('database');
  });

  it('--yes asks nothing: migrate applies at once', async () => {
    await commitAll(dir);
    const exitFile = await start('yes', [
      'migrate',
      '--pattern',
      'load-balanced',
      '--store',
      'redis',
      '--dir',
      dir,
      '--yes',
    ]);
    expect(await exitCode(exitFile)).toBe(0);
    const text = await screen('yes');
    expect(text).not.toMatch(/Apply \d+ change/);
    expect(text).toContain('Done.');
    expect(store(dir)).toBe('redis');
  });

  it('without a terminal and without --yes, add and migrate exit 2 naming --yes and write nothing', async () => {
    await commitAll(dir);
    const hash = treeHash(dir);
    for (const args of [
      ['add', 'store', 'hybrid', '--dir', dir],
      ['migrate', '--pattern', 'gateway', '--store', 'redis', '--dir', dir],
    ]) {
      const result = await runProcess('mcpArch', args);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/Pass --yes to apply these changes.*nothing was written/);
    }
    expect(treeHash(dir)).toBe(hash);
  });
});
