import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHECKLIST, checklistFor, proofOf } from '../../src/core/checklist.js';
import type { PatternId } from '../../src/core/ids.js';
import { PATTERN_REGISTRY } from '../../src/patterns/index.js';
import { renderProject } from '../render/rendered.js';

const TEMPLATE = new URL('../../templates/base/CHECKLIST.md.hbs', import.meta.url);

/** The table row CHECKLIST.md shows for an item. */
const rowOf = (document: string, id: string) => document.split('\n').find((line) => line.includes(`| \`${id}\` |`));

describe("CHECKLIST.md, rendered from the checklist items' own text", () => {
  it.each([...PATTERN_REGISTRY.values()].map((pattern) => [pattern.id, pattern] as const))(
    'shows for %s the items that apply, each with how verify proves it',
    (_id, pattern) => {
      const project = renderProject({
        name: 'listed',
        pattern: pattern.id as PatternId,
        store: pattern.stores[0] as (typeof pattern.stores)[number],
        deploy: [...pattern.defaultDeploy],
        authMode: 'apikey',
        sessionMode: pattern.sessionModes[0] ?? 'stateless',
        protocol: 'dual',
      });
      const document = project.file('CHECKLIST.md');
      const applies = checklistFor(pattern).map((item) => item.id);
      for (const item of CHECKLIST) {
        const row = rowOf(document, item.id);
        if (applies.includes(item.id))
          expect(row, item.id).toBe(`| ${item.title} | \`${item.id}\` | ${proofOf(item, pattern)} |`);
        else expect(row, item.id).toBeUndefined();
      }
    },
  );

  it("fills in the pattern's own title where an item's text names it", () => {
    const item = CHECKLIST.find((entry) => entry.id === 'pre-deployment.architecture-pattern');
    const gateway = PATTERN_REGISTRY.get('gateway');
    expect(item && gateway && proofOf(item, gateway)).toContain(`the files of the ${gateway?.title} pattern`);
  });

  it('keeps no text of its own about any item in the template', () => {
    const template = readFileSync(TEMPLATE, 'utf8');
    for (const item of CHECKLIST) expect(template, item.id).not.toContain(item.id);
    expect(template).not.toContain('#*inline "pre-deployment');
  });

  it('gives every item a paragraph of its own that tells what verify reads or probes', () => {
    const anyPattern = [...PATTERN_REGISTRY.values()][0];
    if (!anyPattern) throw new Error('no pattern is registered');
    for (const item of CHECKLIST) {
      const text = proofOf(item, anyPattern);
      expect(text.length, item.id).toBeGreaterThan(40);
      // One table cell: a line break or a pipe would break the row.
      expect(text, item.id).not.toMatch(/[\n|]/);
    }
  });
});
