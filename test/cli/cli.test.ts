import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PATTERN_IDS } from '../../src/core/ids.js';
import { wizardInteractive } from '../../src/cli/wizard.js';
import { run, tempDir } from './run-bin.js';

const QUICK = ['--pattern', 'single', '--yes', '--no-install', '--no-git'];

describe('mcp-arch: advice', () => {
  it('prints help and version', async () => {
    const help = await run('mcpArch', ['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/recommend[\s\S]*patterns[\s\S]*explain[\s\S]*generate[\s\S]*verify/);
    const version = await run('mcpArch', ['--version']);
    expect(version.stdout.trim()).toBe(
      JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')).version,
    );
  });

  it.each([
    [['recommend', '--help'], /--central-auth[\s\S]*--durability <value>/],
    [['help', 'generate'], /--pattern <id>[\s\S]*--pm <pm>[\s\S]*--dry-run/],
    [['verify', '--help'], /--live[\s\S]*--format <format>[\s\S]*--fail-on <severity>/],
    [['explain', '--help'], /--json/],
  ])('each command shows its own options: %j', async (args, options) => {
    const help = await run('mcpArch', args);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(options);
  });

  it('exits 2 on no command, an unknown command or an unknown option', async () => {
    expect((await run('mcpArch', [])).exitCode).toBe(2);
    const unknown = await run('mcpArch', ['frobnicate']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command/);
    const option = await run('mcpArch', ['patterns', '--bogus']);
    expect(option.exitCode).toBe(2);
    expect(option.stderr).toMatch(/unknown option '--bogus'/);
  });

  it('recommends from flags, as text and JSON', async () => {
    const text = await run('mcpArch', [
      'recommend',
      '--yes',
      '--domains',
      '4',
      '--central-auth',
      '--consumers',
      'teams',
    ]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/Recommended: Gateway/);
    expect(text.stdout).toMatch(/central auth\/rate limiting\/audit required \+ 4 tool domains -> gateway/);
    expect(text.stdout).toMatch(/\| Gateway: auth,/);
    const json = await run('mcpArch', ['recommend', '--yes', '--json', '--platform', 'lambda', '--traffic', 'rare']);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({
      schemaVersion: 1,
      pattern: 'serverless',
      store: 'memory',
      sessionMode: 'stateless',
    });
    expect(parsed.ranking).toHaveLength(6);
  });

  it('without a terminal names the missing answers instead of prompting (exit 2)', async () => {
    const result = await run('mcpArch', ['recommend', '--domains', '2']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/Missing answers: --consumers, --central-auth/);
    expect(result.stderr).not.toMatch(/--domains/);
  });

  it.each([
    [['recommend', '--domains', 'many', '--yes'], /--domains: expected a whole number/],
    [['recommend', '--platform', 'mainframe', '--yes'], /argument 'mainframe' is invalid/],
    [['explain', 'nope'], /Unknown pattern "nope"/],
    [['explain'], /missing required argument/],
  ])('rejects bad input: %j', async (args, message) => {
    const result = await run('mcpArch', args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('lists and explains the six patterns', async () => {
    const list = JSON.parse((await run('mcpArch', ['patterns', '--json'])).stdout);
    expect(list.map((p: { id: string }) => p.id)).toEqual([...PATTERN_IDS]);
    const explain = await run('mcpArch', ['explain', 'serverless']);
    expect(explain.exitCode).toBe(0);
    expect(explain.stdout).toMatch(/Cold start latency/);
    expect(JSON.parse((await run('mcpArch', ['explain', 'gateway', '--json'])).stdout).id).toBe('gateway');
  });
});

describe('generate and create-mcp-arch', () => {
  const cwd = tempDir();

  it('generates the single project without prompts', async () => {
    const result = await run('mcpArch', ['generate', 'one', ...QUICK], { cwd });
    expect(result.exitCode, result.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(cwd, 'one', 'mcp-arch.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: 'one', pattern: 'single' });
    expect(existsSync(join(cwd, 'one', '.git'))).toBe(false);
    expect(result.stdout).toMatch(/Next steps:[\s\S]*cd one[\s\S]*npm install/);
  });

  it('--dry-run writes nothing; with --json it prints the blueprint', async () => {
    const text = await run('mcpArch', ['generate', 'dry', ...QUICK, '--dry-run'], { cwd });
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/Dry run/);
    const json = await run('create', ['dry', ...QUICK, '--dry-run', '--json'], { cwd });
    expect(json.exitCode).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.dryRun).toBe(true);
    expect(parsed.blueprint.manifest.pattern).toBe('single');
    expect(parsed.files).toContain('package.json');
    expect(existsSync(join(cwd, 'dry'))).toBe(false);
  });

  it('refuses a non-empty directory, lists the conflicts, and leaves the files untouched', async () => {
    mkdirSync(join(cwd, 'busy'));
    writeFileSync(join(cwd, 'busy', 'package.json'), 'mine');
    const result = await run('mcpArch', ['generate', 'busy', ...QUICK], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /not empty\. It contains: package\.json\. Choose a new or empty directory; nothing was written/,
    );
    expect(readFileSync(join(cwd, 'busy', 'package.json'), 'utf8')).toBe('mine');
    expect(readdirSync(join(cwd, 'busy'))).toEqual(['package.json']);
    expect(readdirSync(cwd).filter((e) => e.includes('staging'))).toEqual([]);
  });

  it.each([
    [['generate'], /missing required argument 'dir'/],
    [
      ['generate', 'x', '--pattern', 'serverless', '--session-mode', 'stateful', '--yes'],
      /--session-mode stateful does not fit the serverless pattern\. Use one of: stateless/,
    ],
    [
      ['generate', 'x', '--pattern', 'serverless', '--deploy', 'docker', '--yes'],
      /--deploy docker does not fit the serverless pattern\. Use any of: lambda, vercel/,
    ],
    [
      ['generate', 'x', '--pattern', 'single', '--deploy', 'k8s', '--yes'],
      /--deploy k8s does not fit the single pattern/,
    ],
    [['generate', 'x', '--pattern', 'single', '--deploy', 'docker,ftp', '--yes'], /unknown deploy target "ftp"/],
    [['generate', 'x', '--pattern', 'single', '--store', 'redis', '--yes'], /--store redis does not fit/],
    [
      ['generate', 'x', '--pattern', 'gateway', '--store', 'memory', '--deploy', 'k8s', '--yes'],
      /--deploy k8s runs three replicas, and --store memory keeps each session in one of them\. Use --store redis, or leave k8s out of --deploy/,
    ],
    [['generate', 'x', '--pattern', 'single', '--session-mode', 'sticky', '--yes'], /argument 'sticky' is invalid/],
    [['generate', 'x', '--pattern', 'single', '--protocol', 'v1', '--yes'], /argument 'v1' is invalid/],
    [
      ['generate', 'x', '--pattern', 'load-balanced', '--session-mode', 'stateful', '--protocol', 'modern', '--yes'],
      /--session-mode stateful keeps sessions for 2025-era clients, and --protocol modern refuses those clients\. Use --protocol dual/,
    ],
    [['generate', 'x', '--pattern', 'single', '--pm', 'pip', '--yes'], /argument 'pip' is invalid/],
    [
      ['generate', 'x', '--pattern', 'single'],
      /Missing options for the single pattern: --store, --session-mode, --auth/,
    ],
    [
      ['generate', 'x', '--pattern', 'single', '--yes', '--name', 'Bad Name'],
      /Invalid package name "Bad Name".*--name/,
    ],
    [
      ['generate', 'x', '--pattern', 'single', '--yes', '--answers', 'nope.json'],
      /--answers nope\.json: cannot read it as JSON \(file not found\)/,
    ],
  ])('exits 2 on %j', async (args, message) => {
    const result = await run('mcpArch', args, { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(existsSync(join(cwd, 'x'))).toBe(false);
  });

  it('create-mcp-arch without a terminal and without a directory names the argument', async () => {
    const result = await run('create', ['--pattern', 'single'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/Missing the target directory/);
  });

  it('reads an answers file; flags win over it', async () => {
    writeFileSync(
      join(cwd, 'answers.json'),
      JSON.stringify({
        domains: 1,
        consumers: 'one-app',
        centralAuth: false,
        peakRps: 5,
        concurrentSessions: 2,
        traffic: 'steady',
        serverToClient: true,
        clients: 'mixed',
        geography: 'one-region',
        availability: '99',
        platform: 'local',
        durability: 'may-lose',
        separateTeams: false,
        auth: 'jwt',
        name: 'from-file',
      }),
    );
    const result = await run(
      'create',
      ['answered', '--answers', 'answers.json', '--auth', 'none', '--no-install', '--no-git'],
      { cwd },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Recommended: Single server/);
    const manifest = JSON.parse(readFileSync(join(cwd, 'answered', 'mcp-arch.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: 'from-file',
      authMode: 'none',
      sessionMode: 'stateful',
      protocol: 'dual',
    });
    // The advisor's answers are recorded, so that `mcp-arch upgrade` and `migrate` can re-render the project.
    expect(manifest.answers).toMatchObject({ serverToClient: true, clients: 'mixed', platform: 'local' });
  });

  it.each([
    [{ domains: 'lots' }, /answers\.bad\.json: domains: expected a whole number/],
    [{ colour: 'blue' }, /unknown key "colour"/],
    [{ name: '../../escape' }, /Invalid package name "\.\.\/\.\.\/escape"/],
    [{ pattern: 'mesh' }, /pattern: expected one of single/],
    [[1, 2], /expected a JSON object/],
  ])('rejects a bad answers file %j', async (content, message) => {
    writeFileSync(join(cwd, 'answers.bad.json'), JSON.stringify(content));
    const result = await run('mcpArch', ['generate', 'bad-answers', ...QUICK, '--answers', 'answers.bad.json'], {
      cwd,
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(existsSync(join(cwd, 'bad-answers'))).toBe(false);
    expect(existsSync(join(cwd, '..', 'escape'))).toBe(false);
  });

  it('creates a git repository with a first commit, but not inside an existing one', async () => {
    const result = await run('mcpArch', ['generate', 'with-git', '--pattern', 'single', '--yes', '--no-install'], {
      cwd,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const log = await execa('git', ['log', '--oneline'], { cwd: join(cwd, 'with-git') });
    expect(log.stdout).toMatch(/Initial commit from create-mcp-arch/);
    expect((await execa('git', ['status', '--porcelain'], { cwd: join(cwd, 'with-git') })).stdout).toBe('');
    const nested = await run('mcpArch', ['generate', 'inner', '--pattern', 'single', '--yes', '--no-install'], {
      cwd: join(cwd, 'with-git'),
    });
    expect(nested.exitCode).toBe(0);
    expect(nested.stdout + nested.stderr).toMatch(/Inside an existing git repository/);
    expect(existsSync(join(cwd, 'with-git', 'inner', '.git'))).toBe(false);
  });

  it('keeps the complete project and exits 1 when the install fails', async () => {
    const fakeBin = join(cwd, 'fake-bin');
    mkdirSync(fakeBin);
    writeFileSync(
      join(fakeBin, 'npm'),
      '#!/bin/sh\n[ "$1" = --version ] && { echo 11.0.0; exit 0; }\necho "registry unreachable" >&2\nexit 1\n',
    );
    chmodSync(join(fakeBin, 'npm'), 0o755);
    const result = await run(
      'mcpArch',
      ['generate', 'no-net', '--pattern', 'single', '--yes', '--no-git', '--pm', 'npm'],
      {
        cwd,
        env: { PATH: `${fakeBin}:${process.env.PATH}` },
      },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/Installing dependencies failed \(npm install\)[\s\S]*registry unreachable/);
    expect(existsSync(join(cwd, 'no-net', 'mcp-arch.json'))).toBe(true);
  });
});

describe('preconditions, checked before any question and before anything is written', () => {
  const cwd = tempDir('pre-');

  it.each([
    [
      'a path under a file',
      () => {
        writeFileSync(join(cwd, 'a-file'), 'mine');
        return join(cwd, 'a-file', 'app');
      },
      /a-file is a file, so nothing can be created under it/,
    ],
    [
      'a folder that takes no new entries (/proc)',
      () => '/proc/mcp-arch-app',
      /\/proc does not accept new entries|no permission to create entries in \/proc/,
    ],
  ])('an unwritable target (%s) is a usage error that names the folder, not a crash', async (_, target, message) => {
    // No --pattern and no answers: the advisor's questions would follow, so exit 2 here proves they were never reached.
    const result = await run('create', [target(), '--no-install', '--no-git', '--domains', '1'], { cwd });
    expect(result.stderr).not.toMatch(/Unexpected error|at .*\.ts:\d+/);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/Choose (a directory you can write to|another directory).*; nothing was written/);
    expect(result.exitCode).toBe(2);
    expect(readFileSync(join(cwd, 'a-file'), 'utf8')).toBe('mine');
  });

  it('a package manager that is not installed is named with the fix before anything is written', async () => {
    const emptyBin = join(cwd, 'no-pnpm-bin');
    mkdirSync(emptyBin);
    // PATH holds node's own folder only: no pnpm there.
    const result = await run(
      'mcpArch',
      ['generate', 'needs-pnpm', '--pattern', 'single', '--yes', '--no-git', '--pm', 'pnpm'],
      {
        cwd,
        env: { PATH: `${emptyBin}` },
      },
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /pnpm is not installed \(not found on PATH\).*corepack enable.*--pm npm.*--no-install/,
    );
    expect(existsSync(join(cwd, 'needs-pnpm'))).toBe(false);
    // Without the install, the missing package manager does not matter.
    const skipped = await run(
      'mcpArch',
      ['generate', 'no-install', '--pattern', 'single', '--yes', '--no-git', '--no-install', '--pm', 'pnpm'],
      {
        cwd,
        env: { PATH: `${emptyBin}` },
      },
    );
    expect(skipped.exitCode, skipped.stderr).toBe(0);
  });
});

describe('who may be asked', () => {
  const terminal = { stdin: { isTTY: true }, stdout: { isTTY: true }, env: {} };

  it('prompts only in a terminal without CI, and never under --yes or --json', () => {
    expect(wizardInteractive(terminal, { prompts: true, json: false, yes: false })).toBe(true);
    expect(wizardInteractive(terminal, { prompts: true, json: false, yes: true })).toBe(false);
    expect(wizardInteractive(terminal, { prompts: true, json: true, yes: false })).toBe(false);
    expect(wizardInteractive(terminal, { prompts: false, json: false, yes: false })).toBe(false);
    expect(wizardInteractive({ ...terminal, env: { CI: 'true' } }, { prompts: true, json: false, yes: false })).toBe(
      false,
    );
    expect(
      wizardInteractive({ ...terminal, stdin: { isTTY: false } }, { prompts: true, json: false, yes: false }),
    ).toBe(false);
  });
});
