import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ProjectOptions } from '../../src/core/options.js';
import { renderProject, type RenderedProject } from './rendered.js';

const project = (o: Partial<ProjectOptions> & Pick<ProjectOptions, 'pattern' | 'store'>): RenderedProject =>
  renderProject({
    name: 'docs',
    deploy: ['docker'],
    authMode: 'apikey',
    sessionMode: 'stateless',
    protocol: 'dual',
    ...o,
  });

/** One project per pattern and store it supports, with the deploy targets that bring their own docs. */
const PROJECTS: Array<Partial<ProjectOptions> & Pick<ProjectOptions, 'pattern' | 'store'>> = [
  { pattern: 'single', store: 'memory' },
  { pattern: 'single', store: 'database', authMode: 'jwt' },
  {
    pattern: 'load-balanced',
    store: 'redis',
    deploy: ['docker', 'compose', 'k8s'],
    sessionMode: 'stateful',
    protocol: 'dual',
  },
  { pattern: 'load-balanced', store: 'database', deploy: ['docker', 'compose'] },
  {
    pattern: 'load-balanced',
    store: 'hybrid',
    deploy: ['docker', 'k8s'],
    authMode: 'jwt',
    sessionMode: 'stateful',
    protocol: 'dual',
  },
  { pattern: 'gateway', store: 'memory', deploy: ['docker', 'compose'], sessionMode: 'stateful', protocol: 'dual' },
  {
    pattern: 'gateway',
    store: 'redis',
    deploy: ['docker', 'compose', 'k8s'],
    sessionMode: 'stateful',
    protocol: 'dual',
  },
  { pattern: 'multi-server', store: 'memory' },
  { pattern: 'serverless', store: 'memory', deploy: ['lambda', 'vercel'], authMode: 'jwt' },
  { pattern: 'multi-region', store: 'database', deploy: ['docker', 'k8s'], sessionMode: 'stateful', protocol: 'dual' },
];
const label = (o: (typeof PROJECTS)[number]) => `${o.pattern} on ${o.store}${o.authMode === 'jwt' ? ' with JWT' : ''}`;
const docsOf = (p: RenderedProject) =>
  ['README.md', 'CHECKLIST.md', 'AGENTS.md'].map((path) => [path, p.file(path)] as const);

/** The README without its configuration table, which lists every variable the code reads. */
const prose = (readme: string) => readme.replace(/^\| `[A-Z0-9_]+` \|.*$/gm, '');

describe.each(PROJECTS.map((o) => [label(o), o] as const))('docs of a %s project', (_name, options) => {
  const p = project(options);

  it('send users to npm run verify, the project script on its own create-mcp-arch, never to npx mcp-arch', () => {
    expect(p.blueprint.scripts.verify).toBe('mcp-arch verify checklist');
    for (const [path, text] of docsOf(p)) {
      expect(text, path).not.toMatch(/npx mcp-arch|npx create-mcp-arch verify/);
      expect(text, path).toContain('npm run verify');
    }
    expect(p.file('CHECKLIST.md')).toContain('npm run verify -- --live');
  });

  it('list in their layout only paths the project has', () => {
    const paths = [...p.files.keys()];
    for (const { path } of p.blueprint.variables.layout as Array<{ path: string }>) {
      const present = path.endsWith('/') ? paths.some((file) => file.startsWith(path)) : p.files.has(path);
      expect(present, `${path} is in the layout but not generated`).toBe(true);
      expect(p.file('AGENTS.md')).toContain(path);
      expect(p.file('README.md')).toContain(path);
    }
  });

  it('have an AGENTS.md with the layout, how to extend, test and verify, and the conventions', () => {
    const agents = p.file('AGENTS.md');
    for (const heading of [
      '## Layout',
      '## Adding to what `/mcp` serves',
      '## Testing',
      '## Verifying',
      '## Conventions',
    ])
      expect(agents).toContain(heading);
    expect(agents).toMatch(/zod `inputSchema`/);
    expect(agents).toMatch(/annotations/);
    expect(agents).toMatch(/No secrets in code, logs/);
    expect(agents).toContain('npm test');
  });

  it('say where sessions and rate limits live as the generated system keeps them', () => {
    const readme = p.file('README.md');
    if (options.store === 'memory') {
      expect(readme).toMatch(/rate limiter and stateful sessions live in process memory/);
    } else {
      expect(readme).not.toMatch(/live in process memory/);
      expect(readme).not.toMatch(/keeps sessions in memory/);
      expect(readme).toContain(`record lives in the \`${options.store}\` store`);
    }
  });

  it('say how to extend what /mcp serves: tools, or backends for a gateway', () => {
    const readme = p.file('README.md');
    if (options.pattern === 'gateway') {
      for (const [path, text] of docsOf(p)) expect(text, path).not.toMatch(/Register yours|holds the example tools/);
      expect(readme).toMatch(/This gateway serves no tools of its own/);
      expect(p.file('AGENTS.md')).toMatch(/add a\s+backend there/);
    } else {
      expect(readme).toMatch(/`src\/mcp\/tools\.ts` holds the example tools/);
    }
  });

  it('speak only of the auth mode the project uses, and say which variables to set', () => {
    const readme = prose(p.file('README.md'));
    if (options.authMode === 'jwt') {
      expect(readme).not.toContain('API_KEYS');
      expect(p.file('CHECKLIST.md')).not.toContain('API_KEYS');
      expect(p.file('AGENTS.md')).not.toContain('API_KEYS');
      expect(p.blueprint.variables.requiredEnv).toEqual(['JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE']);
      expect(readme).toContain('scripts/dev-token.ts');
    } else {
      expect(p.blueprint.variables.requiredEnv).toEqual(['API_KEYS']);
      expect(readme).toMatch(/set\s+`API_KEYS` in it/);
    }
  });

  it('declare only the store settings of the store the project was generated for', () => {
    const names = p.blueprint.env.map((v) => v.name);
    // A project has exactly one store, decided when it was generated: nothing selects it at run time.
    expect(names).not.toContain('SESSION_STORE');
    const declared = (name: string) => new RegExp(`^${name}=`, 'm').test(p.file('.env.example'));
    expect(declared('REDIS_URL'), 'REDIS_URL').toBe(options.store === 'redis' || options.store === 'hybrid');
    expect(declared('DATABASE_URL'), 'DATABASE_URL').toBe(options.store === 'database' || options.store === 'hybrid');
    expect(declared('SESSION_TTL_MS'), 'SESSION_TTL_MS').toBe(options.store !== 'memory');
  });
});

describe('the CI workflow of generated projects', () => {
  const ci = (store: ProjectOptions['store'], pattern: ProjectOptions['pattern']) => {
    const workflow = parse(project({ pattern, store }).file('.github/workflows/ci.yml')) as {
      jobs: Record<
        string,
        { services?: Record<string, { image: string }>; env?: Record<string, string>; steps: Array<{ run?: string }> }
      >;
    };
    return Object.values(workflow.jobs).find((job) => job.steps.some((s) => s.run === 'npm test'))!;
  };

  it('starts the store of the project as a service and exports its URL to the tests, and no other', () => {
    expect(ci('memory', 'single').services).toBeUndefined();
    const redis = ci('redis', 'gateway');
    expect(Object.keys(redis.services!)).toEqual(['redis']);
    expect(redis.services!.redis!.image).toMatch(/^redis:/);
    expect(redis.env).toEqual({ REDIS_URL: 'redis://127.0.0.1:6379' });
    const database = ci('database', 'single');
    expect(Object.keys(database.services!)).toEqual(['postgres']);
    expect(database.env).toEqual({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    const hybrid = ci('hybrid', 'load-balanced');
    expect(Object.keys(hybrid.services!).sort()).toEqual(['postgres', 'redis']);
  });

  it('ships store tests that default to the local service and fail, naming the variable, when it is down', () => {
    const p = project({ pattern: 'load-balanced', store: 'redis' });
    const services = p.file('test/services.ts');
    expect(services).toContain("local: 'redis://127.0.0.1:6379'");
    expect(services).toMatch(/is not reachable at .*\$\{setup\.variable\}/);
    expect(services).toContain('SKIP_SERVICE_TESTS');
    const contract = p.file('test/store.redis.test.ts');
    expect(contract).not.toMatch(/skip: !process\.env|process\.env\.REDIS_URL/);
    expect(contract).toContain("assertReachable('redis', redis)");
  });
});

describe('the dependency-update config of generated projects', () => {
  const config = parse(project({ pattern: 'single', store: 'memory' }).file('.github/dependabot.yml')) as {
    version: number;
    updates: Array<{
      'package-ecosystem': string;
      directory: string;
      schedule: { interval: string };
      groups?: Record<string, { patterns: string[] }>;
    }>;
  };

  it('is Dependabot version 2, updating npm and GitHub Actions on a schedule', () => {
    expect(config.version).toBe(2);
    expect(config.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
    for (const update of config.updates) {
      expect(update.directory).toBe('/');
      expect(['daily', 'weekly', 'monthly']).toContain(update.schedule.interval);
    }
  });

  it('groups every MCP SDK package of the project into one update', () => {
    const npm = config.updates.find((u) => u['package-ecosystem'] === 'npm')!;
    const groups = Object.values(npm.groups ?? {});
    const sdk = groups.filter((g) => g.patterns.includes('@modelcontextprotocol/*'));
    expect(sdk).toHaveLength(1);
    const pkg = JSON.parse(project({ pattern: 'gateway', store: 'redis' }).file('package.json')) as {
      dependencies: Record<string, string>;
    };
    const mcp = Object.keys(pkg.dependencies).filter((name) => name.startsWith('@modelcontextprotocol/'));
    expect(mcp.length).toBeGreaterThan(0);
    for (const name of mcp)
      expect(
        sdk[0]!.patterns.some((pattern) => new RegExp(`^${pattern.replace('*', '.*')}$`).test(name)),
        name,
      ).toBe(true);
  });
});

describe('the multi-server README followed literally', () => {
  interface Entry {
    url?: string;
    headers?: Record<string, string>;
    enabled?: boolean;
  }
  const servers = (p: RenderedProject) =>
    (JSON.parse(p.file('mcp-servers.json')) as { mcpServers: Record<string, Entry> }).mcpServers;

  it.each([
    ['apikey', 'UNITS_API_KEY'],
    ['jwt', 'UNITS_TOKEN'],
  ] as const)(
    'sends the credential an %s units server requires, from a variable the README sets',
    (authMode, variable) => {
      const p = project({ pattern: 'multi-server', store: 'memory', authMode });
      const units = servers(p).units!;
      expect(units.headers?.Authorization).toBe(`Bearer \${${variable}}`);
      const readme = p.file('README.md');
      expect(readme).toMatch(new RegExp(`export ${variable}=`));
      // The units server is started requiring exactly that credential.
      const start = readme.match(/^(?:AUTH_MODE=.*\n?)+.*npm run server:units &/m)?.[0];
      expect(start).toBeDefined();
      expect(start).toContain(`AUTH_MODE=${authMode}`);
      if (authMode === 'apikey') expect(start).toContain(`API_KEYS="$${variable}"`);
      // Every enabled HTTP server of the file gets a credential; none is written in the file.
      for (const [name, entry] of Object.entries(servers(p))) {
        if (entry.url && entry.enabled !== false)
          expect(entry.headers?.Authorization, name).toMatch(/^Bearer \$\{[A-Z_]+\}$/);
      }
    },
  );

  it('sends no credential where the servers require none', () => {
    const p = project({ pattern: 'multi-server', store: 'memory', authMode: 'none' });
    expect(servers(p).units!.headers).toBeUndefined();
    expect(p.file('README.md')).not.toMatch(/UNITS_API_KEY|UNITS_TOKEN/);
  });
});
