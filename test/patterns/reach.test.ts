import { describe, expect, it } from 'vitest';
import { canRunSeveral, PATTERN_REGISTRY, type PatternDefinition } from '../../src/patterns/index.js';

/** Options a definition offers, every combination of store and deploy target list it accepts. */
function anyOptions(definition: PatternDefinition) {
  return definition.stores.map((store) => ({
    name: definition.id,
    pattern: definition.id,
    store,
    deploy: [...definition.deploy],
    authMode: 'none' as const,
    sessionMode: definition.sessionModes[0]!,
    protocol: 'dual' as const,
  }));
}

describe("a pattern's reach agrees with the instances it runs", () => {
  it.each([...PATTERN_REGISTRY.values()].map((d) => [d.id, d] as const))('%s', (_, definition) => {
    const perInvocation = anyOptions(definition).some((options) => definition.instances(options).perInvocation);
    expect(definition.reach === 'functions').toBe(perInvocation);
    expect(definition.reach === 'one').toBe(!canRunSeveral(definition));
  });

  it('a definition whose reach contradicts its instances is told apart', () => {
    const single = PATTERN_REGISTRY.get('single')!;
    const wrong: PatternDefinition = { ...single, reach: 'replicas' };
    expect(wrong.reach === 'one').not.toBe(!canRunSeveral(wrong));
  });
});
