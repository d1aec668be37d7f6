import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { base } from '../../src/components/base.js';
import type { Component } from '../../src/components/types.js';
import { toBlueprint } from '../../src/core/blueprint.js';
import { checklistFor } from '../../src/core/checklist.js';
import { PATTERN_IDS } from '../../src/core/ids.js';
import { PATTERN_REGISTRY, registryOf, type PatternDefinition } from '../../src/patterns/index.js';
import { render } from '../../src/render/render.js';
import { loadTemplates, type TemplateSet } from '../../src/render/templates.js';

/** A seventh pattern, defined here and nowhere else: two instances of the base server behind nginx, plus an echo file. */
const echoComponent: Component = { id: 'echo', templates: ['toy'] };
const echo: PatternDefinition = {
  id: 'echo',
  title: 'Echo pair',
  summary: 'Two echo servers behind nginx.',
  useWhen: ['Trying out how a pattern is added'],
  limitations: ['Echoes only'],
  terminalDiagram: 'client -> nginx -> echo x2',
  reach: 'replicas',
  sessionModes: ['stateless'],
  stores: ['redis'],
  deploy: ['docker', 'compose'],
  defaultDeploy: ['docker', 'compose'],
  components: [base, echoComponent],
  instances: () => ({ count: 2, perInvocation: false, why: 'two echo servers share one Redis' }),
  hasDependencies: false,
  requiredFiles: [{ file: 'ECHO.md', why: 'it says what echoes' }],
  mermaid: { mainNode: 'echo', lines: (options) => [`  client["MCP client"] --> echo["${options.name}: echo x2"]`] },
  slowTool: { name: 'slow_count', arguments: { steps: 5, intervalMs: 300 } },
};

/** The shipped templates plus the toy's own folder (test/fixtures/toy-pattern/toy). */
function withToyTemplates(): TemplateSet {
  const shipped = loadTemplates();
  const toy = loadTemplates(join(import.meta.dirname, '..', 'fixtures', 'toy-pattern'));
  return {
    catalog: { ...shipped.catalog, ...toy.catalog },
    files: new Map([...shipped.files, ...toy.files]),
    partials: shipped.partials,
  };
}

describe('a pattern is one definition plus its templates', () => {
  const registry = registryOf([...PATTERN_REGISTRY.values(), echo]);
  const templates = withToyTemplates();
  const options = {
    name: 'echo-pair',
    pattern: 'echo',
    store: 'redis' as const,
    deploy: ['docker' as const, 'compose' as const],
    authMode: 'apikey' as const,
    sessionMode: 'stateless' as const,
    protocol: 'dual' as const,
  };

  it('is not one of the built-in ids', () => {
    expect(PATTERN_IDS as readonly string[]).not.toContain('echo');
    expect(() => toBlueprint(options, templates.catalog, '1.0.0')).toThrow(
      /--pattern echo is not a pattern this version knows/,
    );
  });

  it('plans and renders a seventh pattern registered by a test', () => {
    const blueprint = toBlueprint(options, templates.catalog, '1.0.0', registry);
    const files = new Map(render(blueprint, templates).map((file) => [file.path, String(file.contents)]));

    expect(blueprint.components).toEqual(['base', 'echo', 'store', 'store-redis', 'docker', 'compose']);
    expect(files.get('src/echo.ts')).toContain("export const ECHO_NAME = 'echo-pair';");
    expect(files.get('ECHO.md')).toContain('Runs 2 instances (two echo servers share one Redis).');

    const manifest = JSON.parse(files.get('mcp-arch.json')!);
    expect(manifest).toMatchObject({ pattern: 'echo', instances: { count: 2 }, requiredFiles: [{ file: 'ECHO.md' }] });
    expect(manifest.checks).toEqual(checklistFor(echo).map((item) => item.id));
    expect(manifest.checks).toContain('pre-deployment.capacity-scaling');
    expect(manifest.checks).not.toContain('resilience.circuit-breakers');

    // The instance count reaches every deploy artifact from the definition alone.
    const compose = parse(files.get('compose.yaml')!) as {
      services: Record<string, { depends_on?: Record<string, unknown> }>;
    };
    expect(Object.keys(compose.services)).toEqual(['redis', 'app-1', 'app-2', 'nginx']);
    expect(Object.keys(compose.services.nginx!.depends_on!)).toEqual(['app-1', 'app-2']);
    expect(files.get('deploy/nginx/nginx.conf')!.match(/^\s+server app-\d+:3000/gm)).toHaveLength(2);
    expect(files.get('src/rate-limit/shared.ts')).toContain('export const REPLICATED: boolean = true;');
    expect(files.get('README.md')).toContain('echo["echo-pair: echo x2"]');
    expect(files.get('README.md')).toContain('docker compose: Redis, 2 replicas, nginx');
  });

  it('is refused with options its definition does not offer', () => {
    expect(() => toBlueprint({ ...options, store: 'memory' }, templates.catalog, '1.0.0', registry)).toThrow(
      /--store memory does not fit the echo pattern. Use one of: redis/,
    );
  });
});
