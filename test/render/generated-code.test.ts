import { describe, expect, it } from 'vitest';
import type { PatternId, StoreId } from '../../src/core/ids.js';
import { renderProject } from './rendered.js';

const project = (pattern: PatternId, store: StoreId) =>
  renderProject({
    name: 'code',
    pattern,
    store,
    deploy: ['docker'],
    authMode: 'apikey',
    sessionMode: 'stateless',
    protocol: 'dual',
  });

/** Every .ts file of a project, joined: what it can run. */
const source = (p: ReturnType<typeof project>) =>
  [...p.files]
    .filter(([path]) => path.endsWith('.ts'))
    .map(([, text]) => text)
    .join('\n');
const packages = (p: ReturnType<typeof project>) =>
  Object.keys({ ...p.blueprint.dependencies, ...p.blueprint.devDependencies });

describe('a project holds the code of its own store only', () => {
  it('memory: no store, no shared rate limits, no store settings', () => {
    const p = project('single', 'memory');
    expect(
      [...p.files.keys()].filter((path) => /(^|\/)store\/|rate-limit\/(redis|database|shared)/.test(path)),
    ).toEqual([]);
    expect(packages(p).filter((name) => /ioredis|^pg$|@types\/pg/.test(name))).toEqual([]);
    expect(p.blueprint.env.map((v) => v.name)).not.toEqual(expect.arrayContaining(['SESSION_STORE']));
    expect(
      p.blueprint.env
        .map((v) => v.name)
        .filter((name) => /REDIS|DATABASE|SESSION_TABLE|SESSION_TTL|RATE_LIMIT_TABLE/.test(name)),
    ).toEqual([]);
  });

  it('redis: Redis code, its real ioredis types, and no database code, settings, tests or pg', () => {
    const p = project('load-balanced', 'redis');
    expect(p.files.has('src/store/redis.ts')).toBe(true);
    expect(p.files.has('src/rate-limit/redis.ts')).toBe(true);
    expect([...p.files.keys()].filter((path) => /database|sqlite|postgres|hybrid|^data\//.test(path))).toEqual([]);
    expect(packages(p)).toContain('ioredis');
    expect(packages(p).filter((name) => /^pg$|@types\/pg/.test(name))).toEqual([]);
    expect(p.blueprint.env.map((v) => v.name).filter((name) => /DATABASE|TABLE/.test(name))).toEqual([]);
    expect(source(p)).toMatch(/^import \{ Redis \} from 'ioredis';$/m);
    // Built-in default follows the generated store: REDIS_URL unset means the local Redis.
    expect(p.blueprint.env.find((v) => v.name === 'REDIS_URL')?.default).toBe('redis://127.0.0.1:6379');
  });

  it('database: database code and pg, no ioredis', () => {
    const p = project('single', 'database');
    expect(p.files.has('src/store/database.ts')).toBe(true);
    expect([...p.files.keys()].filter((path) => /redis|hybrid/.test(path))).toEqual([]);
    expect(packages(p)).toContain('pg');
    expect(packages(p)).not.toContain('ioredis');
    expect(p.blueprint.env.map((v) => v.name).filter((name) => name.startsWith('REDIS'))).toEqual([]);
  });

  it('hybrid: both clients and the hybrid store, rate limits in Redis (no database buckets)', () => {
    const p = project('load-balanced', 'hybrid');
    for (const path of [
      'src/store/redis.ts',
      'src/store/database.ts',
      'src/store/hybrid.ts',
      'src/rate-limit/redis.ts',
    ])
      expect(p.files.has(path), path).toBe(true);
    expect(p.files.has('src/rate-limit/database.ts')).toBe(false);
    expect(p.file('src/state/open.ts')).toContain('HybridSessionStore');
  });

  it('no project imports through a specifier held in a variable', () => {
    for (const [pattern, store] of [
      ['single', 'memory'],
      ['single', 'database'],
      ['load-balanced', 'redis'],
      ['load-balanced', 'hybrid'],
      ['gateway', 'redis'],
    ] as const) {
      expect(source(project(pattern, store)), `${pattern} on ${store}`).not.toMatch(
        /await import\(specifier\)|const specifier =/,
      );
    }
  });
});
