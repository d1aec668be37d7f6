import { describe, expect, it } from 'vitest';
import { checklistFor } from '../../src/core/checklist.js';
import { PATTERN_IDS } from '../../src/core/ids.js';
import { PATTERNS } from '../../src/core/patterns.js';
import {
  canRunSeveral,
  PATTERN_REGISTRY,
  patternCount,
  patternFor,
  registryOf,
  supportTable,
} from '../../src/patterns/index.js';
import { single } from '../../src/patterns/single.js';

const definitions = [...PATTERN_REGISTRY.values()];
const options = (id: string, store = patternFor(id).stores[0]!, deploy = [...patternFor(id).deploy]) => ({
  name: 'demo',
  pattern: id,
  store,
  deploy,
  authMode: 'apikey' as const,
  sessionMode: patternFor(id).sessionModes[0]!,
  protocol: 'dual' as const,
});

describe('the pattern registry', () => {
  it('holds one definition per public pattern id, in catalog order', () => {
    expect([...PATTERN_REGISTRY.keys()]).toEqual([...PATTERN_IDS]);
    expect(patternCount()).toBe('six');
  });

  it('refuses two definitions with one id, and names --pattern for an unknown id', () => {
    expect(() => registryOf([single, single])).toThrow(/two pattern definitions have the id single/);
    expect(() => patternFor('mesh')).toThrow(
      /--pattern mesh is not a pattern this version knows. Use one of: single, multi-server/,
    );
  });

  it.each(definitions.map((definition) => [definition.id, definition] as const))(
    '%s: defaults are among its options',
    (_, definition) => {
      expect(definition.stores.length).toBeGreaterThan(0);
      expect(definition.sessionModes.length).toBeGreaterThan(0);
      for (const target of definition.defaultDeploy) expect(definition.deploy).toContain(target);
      expect(definition.components[0]?.id).toBe('base');
    },
  );

  it('derives the catalog view the advisor and `mcp-arch patterns` read', () => {
    for (const definition of definitions) {
      const view = PATTERNS[definition.id as (typeof PATTERN_IDS)[number]];
      expect(view).toMatchObject({
        id: definition.id,
        title: definition.title,
        stores: definition.stores,
        deploy: definition.deploy,
        diagram: definition.terminalDiagram,
      });
      expect(JSON.parse(JSON.stringify(view))).toEqual(view);
    }
    expect(supportTable().map((row) => row.id)).toEqual([...PATTERN_IDS]);
  });
});

/** What the generated system runs, per pattern: the fact compose, Kubernetes, the rate limiter and verify read. */
describe('instance counts', () => {
  it('counts what the generated deployment runs', () => {
    expect(patternFor('single').instances(options('single'))).toMatchObject({ count: 1, perInvocation: false });
    expect(patternFor('multi-server').instances(options('multi-server'))).toMatchObject({ count: 1 });
    expect(patternFor('load-balanced').instances(options('load-balanced'))).toMatchObject({ count: 3 });
    expect(patternFor('multi-region').instances(options('multi-region'))).toMatchObject({ count: 3 });
    expect(patternFor('serverless').instances(options('serverless'))).toMatchObject({ perInvocation: true });
  });

  it('runs one gateway on the memory store and three with Redis behind Compose or Kubernetes', () => {
    const gateway = patternFor('gateway');
    expect(gateway.instances(options('gateway', 'memory', ['docker', 'compose']))).toMatchObject({
      count: 1,
      why: expect.stringContaining('memory store'),
    });
    expect(gateway.instances(options('gateway', 'redis', ['docker', 'compose']))).toMatchObject({ count: 3 });
    expect(gateway.instances(options('gateway', 'redis', ['docker', 'k8s']))).toMatchObject({ count: 3 });
    expect(gateway.instances(options('gateway', 'redis', ['docker']))).toMatchObject({ count: 1 });
  });

  it('derives "replicated" and checklist applicability from the definitions', () => {
    expect(definitions.filter(canRunSeveral).map((d) => d.id)).toEqual([
      'gateway',
      'load-balanced',
      'serverless',
      'multi-region',
    ]);
    expect(definitions.map((d) => PATTERNS[d.id as (typeof PATTERN_IDS)[number]].replicated)).toEqual(
      definitions.map(canRunSeveral),
    );
    const applies = (check: string) =>
      definitions.filter((d) => checklistFor(d).some((item) => item.id === check)).map((d) => d.id);
    expect(applies('pre-deployment.capacity-scaling')).toEqual([
      'gateway',
      'load-balanced',
      'serverless',
      'multi-region',
    ]);
    expect(applies('resilience.circuit-breakers')).toEqual([
      'multi-server',
      'gateway',
      'load-balanced',
      'multi-region',
    ]);
    expect(applies('security.origin-validation')).toEqual([...PATTERN_IDS]);
  });
});
