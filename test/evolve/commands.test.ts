import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { regionOverlay } from '../../src/evolve/features.js';
import { FEATURES } from '../../src/evolve/ids.js';
import { loadProject, renderWith } from '../../src/evolve/project.js';
import type { PatternOptions } from '../../src/patterns/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import { run, tempDir } from '../cli/run-bin.js';
import { editProject, expectEvolved } from './edits.js';
import { commitAll, generate, read, treeHash, write } from './helpers.js';

const root = tempDir('evolve-commands-');
const templates = loadTemplates();
let count = 0;

/** A project generated with `args` in a folder of its own. */
async function project(args: string[]): Promise<string> {
  const dir = join(root, `p${(count += 1)}`, 'demo');
  await generate(
    dir,
    args.map((arg) => (arg === 'TRACING' ? tracingAnswers() : arg)),
  );
  return dir;
}

/** An answers file with deployed tracing on (the option has no flag). */
function tracingAnswers(): string {
  const file = join(root, 'tracing.json');
  writeFileSync(file, `${JSON.stringify({ tracing: true })}\n`);
  return file;
}

const manifestOptions = async (dir: string): Promise<PatternOptions> => (await loadProject(dir)).options;
const evolve = (dir: string, args: string[]) => run('mcpArch', [...args, '--dir', dir]);

describe('add and migrate carry the user edits over', () => {
  const cases: { name: string; from: string[]; args: string[]; to: Partial<PatternOptions> }[] = [
    { name: 'add store', from: ['--pattern', 'single'], args: ['add', 'store', 'database'], to: { store: 'database' } },
    {
      name: 'add auth',
      from: ['--pattern', 'single', '--auth', 'apikey'],
      args: ['add', 'auth', 'jwt'],
      to: { authMode: 'jwt' },
    },
    {
      name: 'add protocol',
      from: ['--pattern', 'single'],
      args: ['add', 'protocol', 'modern'],
      to: { protocol: 'modern' },
    },
    {
      name: 'add deploy',
      from: ['--pattern', 'load-balanced', '--store', 'redis', '--deploy', 'docker'],
      args: ['add', 'deploy', 'compose'],
      to: { deploy: ['docker', 'compose'] },
    },
    {
      name: 'migrate single -> load-balanced',
      from: ['--pattern', 'single'],
      args: ['migrate', '--pattern', 'load-balanced', '--store', 'redis'],
      to: { pattern: 'load-balanced', store: 'redis', deploy: ['docker', 'compose', 'k8s'] },
    },
    {
      name: 'migrate single -> gateway',
      from: ['--pattern', 'single'],
      args: ['migrate', '--pattern', 'gateway'],
      to: { pattern: 'gateway', store: 'memory', deploy: ['docker', 'compose'] },
    },
    {
      name: 'migrate load-balanced -> multi-region',
      from: ['--pattern', 'load-balanced', '--store', 'hybrid', '--deploy', 'docker,compose'],
      args: ['migrate', '--pattern', 'multi-region'],
      to: { pattern: 'multi-region', store: 'hybrid', deploy: ['docker', 'k8s'] },
    },
    {
      name: 'add tracing',
      from: ['--pattern', 'load-balanced', '--store', 'redis'],
      args: ['add', 'tracing'],
      to: { tracing: true },
    },
    {
      name: 'migrate a traced project: tracing stays where the new pattern deploys long-running instances',
      from: ['--pattern', 'load-balanced', '--store', 'database', '--deploy', 'docker,k8s', '--answers', 'TRACING'],
      args: ['migrate', '--pattern', 'multi-region'],
      to: { pattern: 'multi-region', tracing: true },
    },
  ];

  for (const { name, from, args, to } of cases) {
    it(name, async () => {
      const dir = await project(from);
      const options = await manifestOptions(dir);
      const before = renderWith(options, templates);
      const target = { ...options, ...to };
      const after = renderWith(target, templates);
      const edits = editProject(dir, before, after);

      const result = await evolve(dir, [...args, '--yes']);
      expect(result.exitCode, result.stderr + result.stdout).toBe(0);
      expect(await manifestOptions(dir)).toEqual(target);
      expectEvolved(dir, before, after, edits);
    });
  }
});

describe('the manifest', () => {
  it("keeps the advisor's answers across an evolution and refuses answers to no question", async () => {
    const dir = await project(['--pattern', 'single']);
    const manifest = JSON.parse(read(dir, 'mcp-arch.json'));
    write(dir, 'mcp-arch.json', JSON.stringify({ ...manifest, answers: { domains: 2, consumers: 'teams' } }));
    const added = await evolve(dir, ['add', 'store', 'database', '--yes']);
    expect(added.exitCode, added.stderr).toBe(0);
    expect(JSON.parse(read(dir, 'mcp-arch.json'))).toMatchObject({
      store: 'database',
      answers: { domains: 2, consumers: 'teams' },
    });

    write(dir, 'mcp-arch.json', JSON.stringify({ ...manifest, answers: { colour: 'blue' } }));
    const hash = treeHash(dir);
    const refused = await evolve(dir, ['upgrade', '--yes']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('"answers.colour" is not a question');
    expect(treeHash(dir)).toBe(hash);
  });
});

describe('dry run, diff and JSON', () => {
  it('--dry-run --diff shows the change as a unified diff and writes nothing', async () => {
    const dir = await project(['--pattern', 'single']);
    const hash = treeHash(dir);
    const result = await evolve(dir, ['add', 'store', 'database', '--dry-run', '--diff']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\+\+\+ b\/src\/store\/database\.ts$/m);
    expect(result.stdout).toMatch(/^--- a\/mcp-arch\.json$/m);
    expect(result.stdout).toContain('Would change');
    expect(treeHash(dir)).toBe(hash);
  });

  it('--json prints the plan as JSON on stdout', async () => {
    const dir = await project(['--pattern', 'single']);
    const hash = treeHash(dir);
    const result = await evolve(dir, ['add', 'store', 'database', '--dry-run', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { changes: { path: string; action: string }[]; to: PatternOptions };
    expect(report.changes).toContainEqual({ path: 'src/store/database.ts', action: 'create', conflicts: 0 });
    expect(report.to.store).toBe('database');
    expect(treeHash(dir)).toBe(hash);
  });

  it('does nothing when the project has the feature already', async () => {
    const dir = await project(['--pattern', 'single']);
    const hash = treeHash(dir);
    const result = await evolve(dir, ['add', 'deploy', 'docker', '--yes']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('already');
    expect(treeHash(dir)).toBe(hash);
  });
});

describe('refusals leave every file untouched', () => {
  const refusals: { name: string; args: string[]; message: RegExp }[] = [
    {
      name: 'an unknown feature',
      args: ['add', 'cache', 'x', '--yes'],
      message: new RegExp(FEATURES.join(', ')),
    },
    { name: 'a feature without its value', args: ['add', 'store', '--yes'], message: /needs a value: one of memory/ },
    { name: 'tracing with a value', args: ['add', 'tracing', 'on', '--yes'], message: /takes no value/ },
    {
      name: 'tracing where the pattern has no long-running deploy target',
      args: ['add', 'tracing', '--yes'],
      message: /compose or k8s.*deploys with docker.*OTEL_EXPORTER_OTLP_ENDPOINT.*load-balanced/,
    },
    {
      name: 'a region on a pattern without regions',
      args: ['add', 'region', 'eu-central', '--yes'],
      message: /multi-region pattern.*this project is single/,
    },
    { name: 'an unknown store', args: ['add', 'store', 'mongo', '--yes'], message: /memory, redis, database, hybrid/ },
    {
      name: 'a store the pattern does not use',
      args: ['add', 'store', 'redis', '--yes'],
      message: /single pattern.*memory, database/,
    },
    {
      name: 'a deploy target the pattern does not have',
      args: ['add', 'deploy', 'lambda', '--yes'],
      message: /docker/,
    },
    {
      name: 'a backend on a pattern without backends',
      args: ['add', 'backend', 'x', '--url', 'http://127.0.0.1:1/mcp', '--yes'],
      message: /gateway and multi-server/,
    },
    {
      name: 'a migration needing a store',
      args: ['migrate', '--pattern', 'load-balanced', '--yes'],
      message: /--store.*redis, database, hybrid/,
    },
    { name: 'a pattern it has already', args: ['migrate', '--pattern', 'single', '--yes'], message: /already/ },
    { name: 'no --yes without a terminal', args: ['add', 'store', 'database'], message: /--yes/ },
    { name: 'an unknown conflict style', args: ['upgrade', '--conflict', 'theirs', '--yes'], message: /markers, rej/ },
  ];
  for (const { name, args, message } of refusals) {
    it(name, async () => {
      const dir = await project(['--pattern', 'single']);
      const hash = treeHash(dir);
      const result = await evolve(dir, args);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(treeHash(dir)).toBe(hash);
    });
  }

  it('a dirty git tree, unless --allow-dirty', async () => {
    const dir = await project(['--pattern', 'single']);
    await commitAll(dir);
    write(dir, 'NOTES.md', 'Not committed yet.\n');
    const hash = treeHash(dir);
    const refused = await evolve(dir, ['add', 'store', 'database', '--yes']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/uncommitted changes.*--allow-dirty/);
    expect(treeHash(dir)).toBe(hash);

    const allowed = await evolve(dir, ['add', 'store', 'database', '--yes', '--allow-dirty']);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(read(dir, 'NOTES.md')).toBe('Not committed yet.\n');
    expect((await manifestOptions(dir)).store).toBe('database');
  });

  it('tracing on serverless, and on a project that has no compose or k8s yet', async () => {
    const serverless = await project(['--pattern', 'serverless']);
    let hash = treeHash(serverless);
    const functions = await evolve(serverless, ['add', 'tracing', '--yes']);
    expect(functions.exitCode).toBe(2);
    expect(functions.stderr).toMatch(/lambda, vercel only.*OTEL_EXPORTER_OTLP_ENDPOINT.*gateway, load-balanced/);
    expect(treeHash(serverless)).toBe(hash);

    const dockerOnly = await project(['--pattern', 'load-balanced', '--store', 'redis', '--deploy', 'docker']);
    hash = treeHash(dockerOnly);
    const first = await evolve(dockerOnly, ['add', 'tracing', '--yes']);
    expect(first.exitCode).toBe(2);
    expect(first.stderr).toMatch(/Add compose or k8s first.*mcp-arch add deploy compose/);
    expect(treeHash(dockerOnly)).toBe(hash);
  });

  it('a bad region name, and a region whose overlay exists', async () => {
    const dir = await project(['--pattern', 'multi-region', '--store', 'database']);
    mkdirSync(join(dir, 'deploy/k8s/overlays/sa-east'));
    write(dir, 'deploy/k8s/overlays/sa-east/kustomization.yaml', '# ours\n');
    const hash = treeHash(dir);
    const bad = await evolve(dir, ['add', 'region', 'SA_East', '--yes']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('lowercase letters, digits and -');
    const taken = await evolve(dir, ['add', 'region', 'sa-east', '--yes']);
    expect(taken.exitCode).toBe(2);
    expect(taken.stderr).toContain('deploy/k8s/overlays/sa-east/kustomization.yaml exists already');
    expect(treeHash(dir)).toBe(hash);
  });

  it('a folder without mcp-arch.json', async () => {
    const dir = join(root, 'plain');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{}\n');
    const hash = treeHash(dir);
    for (const args of [['upgrade', '--yes'], ['check-update'], ['add', 'store', 'redis', '--yes']]) {
      const result = await evolve(dir, args);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('No mcp-arch.json');
    }
    expect(treeHash(dir)).toBe(hash);
  });
});

describe('backends and regions', () => {
  it('adds an HTTP backend to the gateway and a stdio one to multi-server', async () => {
    const gateway = await project(['--pattern', 'gateway']);
    const added = await evolve(gateway, ['add', 'backend', 'weather', '--url', 'http://127.0.0.1:4200/mcp', '--yes']);
    expect(added.exitCode, added.stderr).toBe(0);
    expect(JSON.parse(read(gateway, 'gateway.config.json')).mcpServers.weather).toEqual({
      url: 'http://127.0.0.1:4200/mcp',
    });

    const hash = treeHash(gateway);
    const twice = await evolve(gateway, ['add', 'backend', 'weather', '--url', 'http://127.0.0.1:4300/mcp', '--yes']);
    expect(twice.exitCode).toBe(2);
    expect(twice.stderr).toContain('already has a backend named weather');
    const both = await evolve(gateway, ['add', 'backend', 'x', '--url', 'http://a/mcp', '--command', 'node', '--yes']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('exactly one of --url');
    expect(treeHash(gateway)).toBe(hash);

    const multi = await project(['--pattern', 'multi-server']);
    const stdio = await evolve(multi, [
      'add',
      'backend',
      'files',
      '--command',
      'node',
      '--arg',
      'dist/files.js',
      '--yes',
    ]);
    expect(stdio.exitCode, stdio.stderr).toBe(0);
    expect(JSON.parse(read(multi, 'mcp-servers.json')).mcpServers.files).toEqual({
      command: 'node',
      args: ['dist/files.js'],
    });
  });

  it('adds a region to multi-region, with the Kubernetes overlay a generated region has', async () => {
    const dir = await project(['--pattern', 'multi-region', '--store', 'database']);
    const result = await evolve(dir, ['add', 'region', 'sa-east', '--url', 'https://sa-east.example.com/mcp', '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    const regions = JSON.parse(read(dir, 'regions.json')).regions as { name: string; url: string }[];
    expect(regions.at(-1)).toEqual({ name: 'sa-east', url: 'https://sa-east.example.com/mcp' });
    const options = await manifestOptions(dir);
    const overlay = read(dir, 'deploy/k8s/overlays/sa-east/kustomization.yaml');
    expect(overlay).toBe(regionOverlay(options, templates, 'sa-east').contents);
    expect(overlay).toContain('value: sa-east.mcp.example.com');
    // The overlay of an added region is the one a generated region gets, but for its name.
    const generated = renderWith(options, templates);
    for (const region of ['us-east', 'eu-west', 'ap-southeast'])
      expect(regionOverlay(options, templates, region).contents).toBe(
        generated.find((file) => file.path === `deploy/k8s/overlays/${region}/kustomization.yaml`)!.contents,
      );
  });

  it('adds a region without an overlay where the project does not deploy to Kubernetes', async () => {
    const dir = await project(['--pattern', 'multi-region', '--store', 'database', '--deploy', 'docker']);
    const result = await evolve(dir, ['add', 'region', 'sa-east', '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(join(dir, 'deploy/k8s'))).toBe(false);
    expect(result.stdout).toContain('https://sa-east.mcp.example.com/mcp; set its real URL there');
  });
});

describe('deployed tracing', () => {
  it('runs a collector in compose, points the deployed instances at it, and is what generation with the option makes', async () => {
    const dir = await project(['--pattern', 'gateway', '--store', 'redis', '--deploy', 'docker,compose,k8s']);
    await commitAll(dir);
    const result = await evolve(dir, ['add', 'tracing', '--yes']);
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    const manifest = JSON.parse(read(dir, 'mcp-arch.json'));
    expect(manifest).toMatchObject({ tracing: true });
    expect(manifest.components).toContain('tracing');
    const compose = read(dir, 'compose.yaml');
    expect(compose).toMatch(/^  otel-collector:\n(?:    .*\n)*?    image: otel\/opentelemetry-collector:/m);
    expect(compose).toContain('./deploy/otel/collector.yaml:/etc/otelcol/config.yaml:ro');
    expect(compose).toContain(
      'OTEL_EXPORTER_OTLP_ENDPOINT: ${OTEL_EXPORTER_OTLP_ENDPOINT:-http://otel-collector:4318}',
    );
    expect(read(dir, 'deploy/otel/collector.yaml')).toMatch(/endpoint: 0\.0\.0\.0:4318/);
    expect(read(dir, 'deploy/k8s/base/configmap.yaml')).toMatch(
      /OTEL_EXPORTER_OTLP_ENDPOINT: "?http:\/\/otel-collector\.observability\.svc\.cluster\.local:4318/,
    );
    expect(read(dir, 'README.md')).toContain('## Tracing');

    // The option read back, and generation from an answers file makes the same tree.
    expect((await manifestOptions(dir)).tracing).toBe(true);
    const fresh = await project([
      '--pattern',
      'gateway',
      '--store',
      'redis',
      '--deploy',
      'docker,compose,k8s',
      '--answers',
      'TRACING',
    ]);
    for (const file of renderWith(await manifestOptions(fresh), templates))
      expect(read(dir, file.path), file.path).toBe(read(fresh, file.path));
    expect(treeHash(fresh)).toBe(treeHash(dir));

    const again = await evolve(dir, ['add', 'tracing', '--yes']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('has tracing already');
  });

  it('generate takes it from an answers file only as true or false, and refuses it without compose or k8s', async () => {
    const file = join(root, 'bad-tracing.json');
    writeFileSync(file, JSON.stringify({ tracing: 'yes' }));
    const bad = await run('mcpArch', [
      'generate',
      join(root, 'never'),
      '--pattern',
      'gateway',
      '--answers',
      file,
      '--yes',
    ]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('tracing: expected true or false');
    const serverless = await run('mcpArch', [
      'generate',
      join(root, 'never'),
      '--pattern',
      'serverless',
      '--answers',
      tracingAnswers(),
      '--yes',
    ]);
    expect(serverless.exitCode).toBe(2);
    expect(serverless.stderr).toMatch(/the serverless pattern deploys with lambda, vercel only/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('is left out, with a note, when a migration leaves no long-running deploy target', async () => {
    const dir = await project(['--pattern', 'load-balanced', '--store', 'database', '--answers', 'TRACING']);
    const result = await evolve(dir, ['migrate', '--pattern', 'single', '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('deployed tracing is left out');
    expect(JSON.parse(read(dir, 'mcp-arch.json'))).not.toHaveProperty('tracing');
    expect(existsSync(join(dir, 'deploy/otel/collector.yaml'))).toBe(false);
  });

  it('reads a manifest without the option as off, and refuses one that is not a boolean', async () => {
    const dir = await project(['--pattern', 'load-balanced', '--store', 'redis']);
    expect(JSON.parse(read(dir, 'mcp-arch.json'))).not.toHaveProperty('tracing');
    expect((await manifestOptions(dir)).tracing).toBeUndefined();
    const manifest = JSON.parse(read(dir, 'mcp-arch.json'));
    write(dir, 'mcp-arch.json', JSON.stringify({ ...manifest, tracing: 'yes' }));
    const hash = treeHash(dir);
    const result = await evolve(dir, ['upgrade', '--yes']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('"tracing" must be true or false');
    expect(treeHash(dir)).toBe(hash);
  });
});

describe('check-update', () => {
  it('exits 0 when this generator would change nothing', async () => {
    const dir = await project(['--pattern', 'single']);
    const result = await evolve(dir, ['check-update']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Up to date');
  });

  it('exits 2 naming what to do when the generator that made the project is not at hand', async () => {
    const dir = await project(['--pattern', 'single']);
    const manifest = JSON.parse(read(dir, 'mcp-arch.json'));
    write(
      dir,
      'mcp-arch.json',
      JSON.stringify({ ...manifest, generator: { ...manifest.generator, version: '0.0.1' } }),
    );
    const hash = treeHash(dir);
    const result = await evolve(dir, ['check-update']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/records create-mcp-arch 0\.0\.1.*npm install.*--from/);
    expect(treeHash(dir)).toBe(hash);
  });

  it('refuses a --from folder that holds no generator', async () => {
    const dir = await project(['--pattern', 'single']);
    const copy = join(root, 'not-a-generator');
    cpSync(join(dir, 'src'), copy, { recursive: true });
    const result = await evolve(dir, ['check-update', '--from', copy]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('no create-mcp-arch package there');
    rmSync(copy, { recursive: true, force: true });
    expect(readFileSync(join(dir, 'mcp-arch.json'), 'utf8')).toContain('"single"');
  });
});
