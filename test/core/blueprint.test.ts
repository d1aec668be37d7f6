import { describe, expect, it } from 'vitest';
import { destinationOf, planFiles, toBlueprint, type TemplateCatalog } from '../../src/core/blueprint.js';
import { UserError } from '../../src/core/errors.js';
import { checklistFor } from '../../src/core/checklist.js';
import type { ProjectOptions } from '../../src/core/options.js';
import { GENERATOR_PACKAGE } from '../../src/core/tool-info.js';
import { versions } from '../../src/core/versions.js';
import { PATTERN_REGISTRY, registryOf } from '../../src/patterns/index.js';
import { loadTemplates } from '../../src/render/templates.js';

const options: ProjectOptions = {
  name: 'demo',
  pattern: 'single',
  store: 'memory',
  deploy: ['docker'],
  authMode: 'apikey',
  sessionMode: 'stateless',
  protocol: 'dual',
};
const catalog: TemplateCatalog = {
  base: ['src/index.ts', '_gitignore', 'README.md.hbs', '_github/workflows/ci.yml.hbs', '_env.example.hbs'],
  docker: ['Dockerfile', '_dockerignore'],
  unused: ['never.txt'],
};

describe('destinationOf', () => {
  it('drops .hbs and turns leading underscores into dots per segment', () => {
    expect(destinationOf('README.md.hbs')).toEqual({ destination: 'README.md', render: true });
    expect(destinationOf('_github/workflows/ci.yml.hbs')).toEqual({
      destination: '.github/workflows/ci.yml',
      render: true,
    });
    expect(destinationOf('src/a_b.ts')).toEqual({ destination: 'src/a_b.ts', render: false });
  });
});

describe('toBlueprint', () => {
  const bp = toBlueprint(options, catalog, '9.9.9');

  it('is JSON-serialisable and deterministic', () => {
    expect(JSON.parse(JSON.stringify(bp))).toEqual(bp);
    expect(toBlueprint(options, catalog, '9.9.9')).toEqual(bp);
  });

  it('plans the files of its components only, plus package.json and mcp-arch.json', () => {
    expect(bp.files.map((f) => f.destination)).toEqual(
      [
        '.dockerignore',
        '.env.example',
        '.github/workflows/ci.yml',
        '.gitignore',
        'Dockerfile',
        'README.md',
        'mcp-arch.json',
        'package.json',
        'src/index.ts',
      ].sort((a, b) => a.localeCompare(b)),
    );
    expect(bp.components).toEqual(['base', 'docker']);
  });

  it('leaves out deploy components that were not chosen', () => {
    const noDocker = toBlueprint({ ...options, deploy: [] }, catalog, '1.0.0');
    expect(noDocker.files.map((f) => f.destination)).not.toContain('Dockerfile');
  });

  it('pins every dependency from the versions map, and the generator at its own version', () => {
    const { [GENERATOR_PACKAGE]: generator, ...pinned } = bp.devDependencies;
    expect(generator).toBe('9.9.9');
    for (const [name, version] of Object.entries({ ...bp.dependencies, ...pinned })) {
      expect(version).toBe(versions[name as keyof typeof versions]);
    }
    // Generated servers are built on SDK v2; the v1 line is no runtime dependency of theirs.
    expect(bp.dependencies['@modelcontextprotocol/server']).toBeDefined();
    expect(bp.dependencies['@modelcontextprotocol/sdk']).toBeUndefined();
  });

  it('writes the manifest with the applicable checks and how to start', () => {
    expect(bp.manifest).toMatchObject({
      pattern: 'single',
      store: 'memory',
      generator: { version: '9.9.9' },
      start: { command: 'npm start', portEnv: 'PORT', healthPath: '/health' },
    });
    expect(bp.manifest.checks).toEqual(checklistFor('single').map((c) => c.id));
  });

  it('carries the chosen auth and session mode as env defaults', () => {
    const jwt = toBlueprint(
      { ...options, authMode: 'jwt', sessionMode: 'stateful', protocol: 'dual' },
      catalog,
      '1.0.0',
    );
    expect(jwt.env.find((v) => v.name === 'AUTH_MODE')?.example).toBe('jwt');
    expect(jwt.env.find((v) => v.name === 'SESSION_MODE')?.example).toBe('stateful');
    expect(jwt.variables.mermaid).toContain('JWT');
  });

  it('makes the chosen posture the built-in default, so an unset MCP_PROTOCOL keeps it', () => {
    const modern = toBlueprint({ ...options, protocol: 'modern' }, catalog, '1.0.0');
    expect(modern.env.find((v) => v.name === 'MCP_PROTOCOL')).toMatchObject({ default: 'modern', example: 'modern' });
    expect(modern.manifest.protocol).toBe('modern');
    expect(bp.env.find((v) => v.name === 'MCP_PROTOCOL')).toMatchObject({ default: 'dual' });
  });

  it('refuses options that do not fit, naming the flag', () => {
    expect(() => toBlueprint({ ...options, store: 'redis' }, catalog, '1')).toThrow(/--store redis/);
    expect(() => toBlueprint({ ...options, deploy: ['k8s'] }, catalog, '1')).toThrow(/--deploy k8s/);
    expect(() => toBlueprint({ ...options, deploy: ['lambda'] }, catalog, '1')).toThrow(/--deploy lambda/);
  });

  it('refuses a pattern its registry does not hold, naming --pattern', () => {
    const withoutGateway = registryOf(
      [...PATTERN_REGISTRY.values()].filter((definition) => definition.id !== 'gateway'),
    );
    expect(() => toBlueprint({ ...options, pattern: 'gateway' }, catalog, '1', withoutGateway)).toThrow(UserError);
    expect(() => toBlueprint({ ...options, pattern: 'gateway' }, catalog, '1', withoutGateway)).toThrow(
      /--pattern gateway is not a pattern this version knows/,
    );
  });

  it('records what the pattern definition says of these options in the manifest', () => {
    expect(bp.manifest.instances).toEqual({ count: 1, perInvocation: false, why: 'a single server runs one instance' });
    expect(bp.manifest.requiredFiles).toEqual([]);
    const gateway = toBlueprint(
      { ...options, pattern: 'gateway', store: 'redis', deploy: ['docker', 'compose'] },
      loadTemplates().catalog,
      '1',
    );
    expect(gateway.manifest.instances.count).toBe(3);
    expect(gateway.manifest.requiredFiles.map((required) => required.file)).toEqual(['gateway.config.json']);
    expect(gateway.manifest.start.slowTool?.name).toBe('slow');
    expect(gateway.files.filter((file) => file.kind === 'document').map((file) => file.destination)).toEqual([
      'compose.yaml',
      'gateway.config.json',
    ]);
  });

  it('refuses two templates writing one file', () => {
    expect(() => toBlueprint(options, { base: ['Dockerfile'], docker: ['Dockerfile'] }, '1')).toThrow(
      /two templates write Dockerfile/,
    );
  });
});

describe('planFiles', () => {
  const base = { id: 'base', templates: ['base'] };
  const layered = { id: 'gateway', templates: ['gateway'], replaces: ['src/layer.ts'] };

  it('lets a component replace an earlier file it names', () => {
    const files = planFiles([base, layered], {
      base: ['src/layer.ts', 'src/app.ts'],
      gateway: ['src/layer.ts', 'src/backends.ts'],
    });
    expect(files.find((f) => f.destination === 'src/layer.ts')).toMatchObject({ template: 'gateway/src/layer.ts' });
    expect(files.find((f) => f.destination === 'src/app.ts')).toMatchObject({ template: 'base/src/app.ts' });
  });

  it('refuses a clash it does not name', () => {
    expect(() =>
      planFiles([base, layered], { base: ['src/layer.ts', 'src/app.ts'], gateway: ['src/layer.ts', 'src/app.ts'] }),
    ).toThrow(/two templates write src\/app.ts/);
  });

  it('refuses a declared replacement that replaces nothing', () => {
    expect(() => planFiles([base, layered], { base: ['src/app.ts'], gateway: ['src/layer.ts'] })).toThrow(
      /gateway declares it replaces src\/layer.ts/,
    );
  });

  const catalog = { base: ['src/layer.ts', 'src/tools.ts', 'src/app.ts'], gateway: ['src/layer.ts'] };

  it('leaves out the earlier files a component omits, and keeps the rest', () => {
    const files = planFiles([base, { ...layered, omits: ['src/tools.ts'] }], catalog);
    const destinations = files.map((f) => f.destination);
    expect(destinations).not.toContain('src/tools.ts');
    expect(destinations).toContain('src/app.ts');
    expect(files.find((f) => f.destination === 'src/layer.ts')).toMatchObject({ template: 'gateway/src/layer.ts' });
  });

  it('lets a later component write a file an earlier one omitted', () => {
    const omitting = { id: 'lean', templates: [], omits: ['src/tools.ts'] };
    const files = planFiles([base, omitting, { id: 'tools', templates: ['tools'] }], {
      ...catalog,
      tools: ['src/tools.ts'],
    });
    expect(files.find((f) => f.destination === 'src/tools.ts')).toMatchObject({ template: 'tools/src/tools.ts' });
  });

  it('refuses an omission that omits nothing, naming the component and the path', () => {
    expect(() => planFiles([base, { ...layered, omits: ['src/tool.ts'] }], catalog)).toThrow(
      /gateway declares it omits src\/tool.ts, but no earlier template writes it/,
    );
    // Its own files are not earlier ones.
    expect(() => planFiles([{ ...base, omits: ['src/app.ts'] }], catalog)).toThrow(
      /base declares it omits src\/app.ts/,
    );
  });

  it('refuses a component that omits a file and writes it too', () => {
    expect(() =>
      planFiles([base, { id: 'gateway', templates: ['gateway'], omits: ['src/layer.ts'] }], catalog),
    ).toThrow(/gateway both omits and writes src\/layer.ts \(gateway\/src\/layer.ts\): name it in replaces instead/);
  });
});
