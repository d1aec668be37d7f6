import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from './run-bin.js';

/**
 * Drives the wizard through a real pseudo-terminal (tmux), answering its prompts with keys
 * the way a person would: the prompt library sees a TTY, and our interactivity check says yes.
 */
const socket = `create-mcp-arch-test-${process.pid}`;
const tmux = (...args: string[]) => execa('tmux', ['-L', socket, ...args], { reject: false });
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
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${pattern} on screen:\n${text}`);
}

async function start(session: string, cwd: string, args: string[]): Promise<string> {
  const exitFile = join(cwd, `${session}.exit`);
  const command = `cd ${cwd} && env -u CI NO_COLOR=1 ${process.execPath} ${BIN.create} ${args.join(' ')}; echo $? > ${exitFile}; sleep 30`;
  const result = await tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '60', command);
  expect(result.exitCode, result.stderr).toBe(0);
  return exitFile;
}

async function exitCode(exitFile: string): Promise<number> {
  const deadline = Date.now() + 15_000;
  while (!existsSync(exitFile) || readFileSync(exitFile, 'utf8').trim() === '') {
    if (Date.now() > deadline) throw new Error('the wizard did not exit');
    await new Promise((r) => setTimeout(r, 100));
  }
  return Number(readFileSync(exitFile, 'utf8').trim());
}

async function answer(session: string, prompt: RegExp, ...keys: string[]): Promise<void> {
  await waitFor(session, prompt);
  await tmux('send-keys', '-t', session, ...keys);
}

describe('the wizard in a terminal', () => {
  const cwd = tempDir('pty-');

  it('answers real prompts, shows the recommendation and generates the choice', async () => {
    const exitFile = await start('wizard', cwd, ['--no-install', '--no-git']);
    await answer('wizard', /Where should the project be created/, 'C-u', 'demo', 'Enter');
    await answer('wizard', /How many tool domains/, 'Enter');
    await answer('wizard', /Who connects/, 'Enter');
    await answer('wizard', /central authentication/, 'Enter');
    await answer('wizard', /requests per second/, 'Enter');
    await answer('wizard', /concurrent client sessions/, 'Enter');
    await answer('wizard', /shape is the traffic/, 'Enter');
    await answer('wizard', /server-to-client features/, 'y', 'Enter');
    await answer('wizard', /Which MCP clients connect/, 'Enter');
    await answer('wizard', /Where are your users/, 'Enter');
    await answer('wizard', /Availability target/, 'Enter');
    await answer('wizard', /Where will it run/, 'Enter');
    await answer('wizard', /How durable/, 'Enter');
    await answer('wizard', /separate teams/, 'Enter');
    const shown = await waitFor('wizard', /Which pattern should be generated/);
    expect(shown).toMatch(/Recommended: Single server/);
    await tmux('send-keys', '-t', 'wizard', 'Enter');
    await answer('wizard', /Session store/, 'Enter');
    await answer('wizard', /Session mode/, 'Enter');
    await answer('wizard', /Client authentication/, 'Down', 'Enter');
    await waitFor('wizard', /Next steps/);
    expect(await exitCode(exitFile)).toBe(0);
    const manifest = JSON.parse(readFileSync(join(cwd, 'demo', 'mcp-arch.json'), 'utf8'));
    // server-to-client answered yes with 2025-era clients among them -> a sessionful leg by default,
    // which needs both eras (so the posture is not asked); Down from apikey -> jwt.
    expect(manifest).toMatchObject({
      name: 'demo',
      pattern: 'single',
      store: 'memory',
      sessionMode: 'stateful',
      protocol: 'dual',
      authMode: 'jwt',
    });
  });

  it('Ctrl-C at a prompt exits 130 and leaves nothing behind', async () => {
    const exitFile = await start('interrupt', cwd, ['interrupted', '--no-install', '--no-git']);
    await answer('interrupt', /How many tool domains/, 'C-c');
    expect(await exitCode(exitFile)).toBe(130);
    expect(await screen('interrupt')).toMatch(/Interrupted: nothing was written/);
    expect(existsSync(join(cwd, 'interrupted'))).toBe(false);
  });

  it('--yes in a terminal asks nothing: the defaults and the recommendation are taken', async () => {
    const exitFile = await start('yes', cwd, ['--yes', '--no-install', '--no-git']);
    expect(await exitCode(exitFile)).toBe(0);
    const text = await screen('yes');
    expect(text).not.toMatch(/\?\s|Where should the project be created/);
    expect(text).toMatch(/Next steps/);
    expect(existsSync(join(cwd, 'my-mcp-app', 'mcp-arch.json'))).toBe(true);
  });
});
