import { describe, expect, it } from 'vitest';
import { GENERATORS } from '../../src/components/index.js';
import { PATTERN_IDS } from '../../src/core/ids.js';
import { PATTERNS } from '../../src/core/patterns.js';

/** What `mcp-arch explain` and the wizard offer must be what the generator makes, and no more. */
describe('the pattern catalog and the generators agree', () => {
  it.each(PATTERN_IDS)('%s', (id) => {
    const support = GENERATORS[id];
    expect(support, `${id} is advised on but not generated`).toBeDefined();
    const catalog = PATTERNS[id];
    expect([...catalog.stores].sort()).toEqual([...support!.stores].sort());
    expect([...catalog.deploy].sort()).toEqual([...support!.deploy].sort());
    for (const target of catalog.defaultDeploy) expect(support!.deploy).toContain(target);
  });
});
