import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/components/env.js';
import { multiServer } from '../../src/components/multi-server.js';
import type { EnvVar } from '../../src/components/types.js';
import { STORE_IDS, type PatternId, type StoreId } from '../../src/core/ids.js';
import { CHECKOUT } from '../templates/programs.js';
import { renderProject } from './rendered.js';

/** The generated src/config.ts of a project, imported as the project would (written into the templates workspace). */
const work = (() => {
  const dir = join(CHECKOUT, `config-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  return dir;
})();
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface GeneratedConfig {
  schema: { shape: Record<string, { parse(value: unknown): unknown }>; parse(value: unknown): Record<string, unknown> };
  loadConfig(env: Record<string, string | undefined>): { settings: Record<string, unknown> };
}

async function generatedConfig(label: string, file: string): Promise<GeneratedConfig> {
  const dir = join(work, label);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'config.ts'), file);
  return (await import(join(dir, 'config.ts'))) as GeneratedConfig;
}

const STORE_PATTERN: Record<StoreId, PatternId> = {
  memory: 'single',
  redis: 'load-balanced',
  database: 'single',
  hybrid: 'load-balanced',
};

describe('the configuration schema rendered from the declarations', () => {
  it('puts each declared default (parsed like a set value) or .optional() after the declared schema', () => {
    const declared: EnvVar[] = [
      { name: 'PORT', default: '3000', schema: 'bounded(0, 65535)', description: '' },
      { name: 'NAME', default: "it's", schema: 'z.string()', description: '' },
      { name: 'JWT_ISSUER', default: '', schema: 'z.string().min(1)', description: '' },
      { name: 'GATEWAY_CONFIG', default: 'gateway.config.json', description: 'read by other code' },
    ];
    expect(configSchema(declared)).toEqual([
      { name: 'PORT', zod: "bounded(0, 65535).prefault('3000')" },
      { name: 'NAME', zod: "z.string().prefault('it\\'s')" },
      { name: 'JWT_ISSUER', zod: 'z.string().min(1).optional()' },
    ]);
  });

  for (const store of STORE_IDS) {
    it(`gives a project on the ${store} store every declared built-in default, and exactly its variables`, async () => {
      const project = renderProject({
        name: 'cfg',
        pattern: STORE_PATTERN[store],
        store,
        deploy: ['docker'],
        authMode: 'apikey',
        sessionMode: 'stateless',
        protocol: 'dual',
      });
      const config = await generatedConfig(store, project.file('src/config.ts'));
      const declared = project.blueprint.env.filter((variable) => variable.schema !== undefined);
      expect(Object.keys(config.schema.shape)).toEqual(declared.map((variable) => variable.name));
      const settings = config.schema.parse({});
      for (const variable of declared) {
        const field = config.schema.shape[variable.name]!;
        if (variable.default === '') expect(settings[variable.name], variable.name).toBeUndefined();
        else expect(settings[variable.name], variable.name).toEqual(field.parse(variable.default));
      }
    });
  }

  it('fails the project when a declared default does not parse', async () => {
    const project = renderProject({
      name: 'cfg',
      pattern: 'single',
      store: 'memory',
      deploy: ['docker'],
      authMode: 'apikey',
      sessionMode: 'stateless',
      protocol: 'dual',
    });
    const broken = project
      .file('src/config.ts')
      .replace(`bounded(0, 65535).prefault('3000')`, `bounded(0, 65535).prefault('three thousand')`);
    const config = await generatedConfig('broken', broken);
    expect(() => config.loadConfig({ AUTH_MODE: 'none' })).toThrow(/PORT: expected a number/);
  });

  it('name the example server port the units server really uses', () => {
    const units = multiServer.env!.find((v) => v.name === 'UNITS_PORT')!;
    const { file } = renderProject({
      name: 'agg',
      pattern: 'multi-server',
      store: 'memory',
      deploy: ['docker'],
      authMode: 'apikey',
      sessionMode: 'stateless',
      protocol: 'dual',
    });
    expect(file('src/servers/units/main.ts')).toContain(`defaultPort: ${units.default}`);
  });
});

describe('README configuration table and .env.example', () => {
  const project = renderProject({
    name: 'cfg',
    pattern: 'gateway',
    store: 'redis',
    deploy: ['docker', 'compose'],
    authMode: 'jwt',
    sessionMode: 'stateful',
    protocol: 'dual',
  });
  const rows = new Map(
    [...project.file('README.md').matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+) \| ([^|]+) \|/gm)].map((m) => [
      m[1]!,
      { builtIn: m[2]!.trim(), example: m[3]!.trim() },
    ]),
  );
  const envExample = new Map(
    [...project.file('.env.example').matchAll(/^([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
  );

  it('shows the built-in default and the .env.example value side by side, for every variable', () => {
    expect([...rows.keys()]).toEqual(project.blueprint.env.map((v) => v.name));
    for (const variable of project.blueprint.env) {
      const row = rows.get(variable.name)!;
      expect(row.builtIn, variable.name).toBe(variable.default ? `\`${variable.default}\`` : '*unset*');
      expect(envExample.get(variable.name), variable.name).toBe(variable.secret ? '' : variable.example);
    }
    // Unset, only the server's own loopback origin is allowed; .env.example suggests the local one.
    expect(rows.get('ALLOWED_ORIGINS')).toEqual({ builtIn: '*unset*', example: '`http://localhost:3000`' });
    expect(rows.get('AUTH_MODE')).toEqual({ builtIn: '*unset*', example: '`jwt`' });
    // A Redis project uses the local Redis when REDIS_URL is unset, and says so.
    expect(rows.get('REDIS_URL')).toEqual({ builtIn: '`redis://127.0.0.1:6379`', example: '`redis://127.0.0.1:6379`' });
    expect(rows.has('SESSION_STORE')).toBe(false);
    expect(rows.has('DATABASE_URL')).toBe(false);
  });
});
