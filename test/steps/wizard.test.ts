import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QUESTIONS } from '../../src/core/answers.js';
import { UserError } from '../../src/core/errors.js';
import { runWizard } from '../../src/steps/index.js';
import { detectPackageManager, installCommand } from '../../src/steps/install.js';
import { makeContext, scriptedPrompter } from './helpers.js';

describe('wizard, interactive', () => {
  it('asks every advisor question, shows the recommendation, and generates the choice', async () => {
    const prompt = scriptedPrompter([
      [/Where should the project be created/, 'demo'],
      [/tool domains/, '1'],
      [/Who connects/, 'one-app'],
      [/central authentication/, false],
      [/requests per second/, '20'],
      [/concurrent client sessions/, '5'],
      [/shape is the traffic/, 'steady'],
      [/server-to-client/, true],
      [/Which MCP clients connect/, 'mixed'],
      [/Where are your users/, 'one-region'],
      [/Availability target/, '99'],
      [/Where will it run/, 'local'],
      [/How durable/, 'may-lose'],
      [/separate teams/, false],
      [/Which pattern/, (choices) => choices[0]!.value as string],
      [/Session store/, 'memory'],
      [/Session mode/, 'stateful'],
      [/Client authentication/, 'jwt'],
    ]);
    const ctx = makeContext({ interactive: true, prompt });
    await runWizard(ctx);
    expect(prompt.asked.filter((m) => QUESTIONS.some((q) => q.message === m))).toHaveLength(QUESTIONS.length);
    expect(ctx.printed.join('\n')).toMatch(/Recommended: Single server/);
    expect(ctx.printed.join('\n')).toMatch(/one tool domain -> single/);
    const manifest = JSON.parse(readFileSync(join(ctx.cwd, 'demo', 'mcp-arch.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: 'demo',
      pattern: 'single',
      sessionMode: 'stateful',
      protocol: 'dual',
      authMode: 'jwt',
      deploy: ['docker'],
    });
  });

  it('asks only what flags left open', async () => {
    const prompt = scriptedPrompter([
      [/Session mode/, 'stateless'],
      [/Which MCP clients does it serve/, 'modern'],
      [/Client authentication/, 'apikey'],
    ]);
    const ctx = makeContext({ interactive: true, prompt, dir: 'app', options: { pattern: 'single', store: 'memory' } });
    await runWizard(ctx);
    expect(prompt.asked).toEqual(['Session mode?', 'Which MCP clients does it serve?', 'Client authentication?']);
    const manifest = JSON.parse(readFileSync(join(ctx.cwd, 'app', 'mcp-arch.json'), 'utf8'));
    expect(manifest).toMatchObject({ sessionMode: 'stateless', protocol: 'modern' });
  });

  it('offers no memory store when --deploy names k8s, and no k8s once memory is chosen', async () => {
    // The gateway's stores are memory and redis: with k8s only redis is left, so nothing is asked.
    const withK8s = makeContext({
      interactive: true,
      dir: 'k',
      prompt: scriptedPrompter([]),
      options: { pattern: 'gateway', sessionMode: 'stateful', authMode: 'apikey', deploy: ['docker', 'k8s'] },
    });
    await runWizard(withK8s);
    expect(JSON.parse(readFileSync(join(withK8s.cwd, 'k', 'mcp-arch.json'), 'utf8'))).toMatchObject({
      store: 'redis',
      deploy: ['docker', 'k8s'],
    });

    const deployChoices: unknown[][] = [];
    const withMemory = makeContext({
      interactive: true,
      dir: 'm',
      prompt: scriptedPrompter([
        [/Deployment targets/, (choices) => (deployChoices.push(choices.map((c) => c.value)), ['docker'])],
      ]),
      options: { pattern: 'gateway', store: 'memory', sessionMode: 'stateful', authMode: 'apikey' },
    });
    await runWizard(withMemory);
    expect(deployChoices).toEqual([['docker', 'compose']]);
  });

  it('asks for a package name when the directory cannot be one', async () => {
    const prompt = scriptedPrompter([[/Package name/, 'fine-name']]);
    const ctx = makeContext({
      interactive: true,
      prompt,
      dir: 'Bad Dir!',
      options: { pattern: 'single', store: 'memory', sessionMode: 'stateless', protocol: 'dual', authMode: 'none' },
    });
    await runWizard(ctx);
    expect(JSON.parse(readFileSync(join(ctx.cwd, 'Bad Dir!', 'package.json'), 'utf8')).name).toBe('fine-name');
  });
});

describe('wizard, without a terminal', () => {
  it('names every missing advisor flag (exit 2)', async () => {
    const ctx = makeContext({ dir: 'app', answers: { domains: 2 } });
    const error = await runWizard(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/--consumers/);
    expect((error as Error).message).not.toMatch(/--domains/);
    expect(existsSync(join(ctx.cwd, 'app'))).toBe(false);
  });

  it('names missing options once the pattern is known', async () => {
    const ctx = makeContext({ dir: 'app', options: { pattern: 'single' } });
    await expect(runWizard(ctx)).rejects.toThrow(/--session-mode, --auth/);
  });

  it('names the missing directory', async () => {
    await expect(runWizard(makeContext({ options: { pattern: 'single' } }))).rejects.toThrow(/first argument/);
  });

  it('with --yes takes the recommendation and the defaults', async () => {
    const ctx = makeContext({ yes: true });
    await runWizard(ctx);
    const manifest = JSON.parse(readFileSync(join(ctx.cwd, 'my-mcp-app', 'mcp-arch.json'), 'utf8'));
    expect(manifest).toMatchObject({
      pattern: 'single',
      store: 'memory',
      authMode: 'apikey',
      sessionMode: 'stateless',
    });
  });

  it('generates the recommended pattern with its store and session mode', async () => {
    const ctx = makeContext({ dir: 'app', yes: true, answers: { domains: 4, centralAuth: true, consumers: 'teams' } });
    await runWizard(ctx);
    const manifest = JSON.parse(readFileSync(join(ctx.cwd, 'app', 'mcp-arch.json'), 'utf8'));
    expect(manifest).toMatchObject({ pattern: 'gateway', sessionMode: 'stateful' });
    expect(existsSync(join(ctx.cwd, 'app', 'gateway.config.json'))).toBe(true);
  });

  it('refuses a non-empty target before asking anything', async () => {
    const ctx = makeContext({ dir: 'app', yes: true });
    mkdirSync(join(ctx.cwd, 'app'));
    writeFileSync(join(ctx.cwd, 'app', 'README.md'), 'mine');
    await expect(runWizard(ctx)).rejects.toThrow(/not empty.*README\.md/);
    expect(readdirSync(join(ctx.cwd, 'app'))).toEqual(['README.md']);
  });

  it('--dry-run plans and renders but writes nothing', async () => {
    const ctx = makeContext({
      dir: 'app',
      yes: true,
      run: { install: true, git: true, pm: 'npm', dryRun: true, json: false },
    });
    await runWizard(ctx);
    expect(existsSync(join(ctx.cwd, 'app'))).toBe(false);
    expect(ctx.printed.join('\n')).toMatch(/Dry run: nothing is written[\s\S]*mcp-arch\.json/);
    expect(ctx.files!.length).toBeGreaterThan(2);
  });
});

describe('package manager', () => {
  it('comes from npm_config_user_agent, npm otherwise', () => {
    expect(detectPackageManager({ npm_config_user_agent: 'pnpm/9.1.0 npm/? node/v22.13.0 linux x64' })).toBe('pnpm');
    expect(detectPackageManager({ npm_config_user_agent: 'yarn/4.0.0 npm/? node/v22' })).toBe('yarn');
    expect(detectPackageManager({ npm_config_user_agent: 'bun/1.1.0' })).toBe('bun');
    expect(detectPackageManager({ npm_config_user_agent: 'weird/1.0' })).toBe('npm');
    expect(detectPackageManager({})).toBe('npm');
    expect(installCommand('yarn')).toEqual(['yarn', []]);
    expect(installCommand('pnpm')).toEqual(['pnpm', ['install']]);
  });
});
