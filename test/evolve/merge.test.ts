import { describe, expect, it } from 'vitest';
import { conflictsIn, keepOurs, LABELS, mergeJson, mergeText, rejectFile } from '../../src/evolve/merge.js';

const lines = (...list: string[]) => `${list.join('\n')}\n`;
const BASE = lines('one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight');

describe('mergeText', () => {
  it('takes the side that changed when only one did', async () => {
    const changed = BASE.replace('two', 'TWO');
    expect(await mergeText(BASE, BASE, changed)).toEqual({ text: changed, conflicts: [] });
    expect(await mergeText(BASE, changed, BASE)).toEqual({ text: changed, conflicts: [] });
  });

  it('merges edits to different regions cleanly', async () => {
    const ours = BASE.replace('one', 'ONE');
    const theirs = BASE.replace('eight', 'EIGHT');
    const merged = await mergeText(BASE, ours, theirs);
    expect(merged.conflicts).toEqual([]);
    expect(merged.text).toBe(lines('ONE', 'two', 'three', 'four', 'five', 'six', 'seven', 'EIGHT'));
  });

  it('marks edits to one region as a conflict with all three sides', async () => {
    const merged = await mergeText(BASE, BASE.replace('four', 'four (yours)'), BASE.replace('four', 'four (new)'));
    expect(merged.conflicts).toEqual([{ ours: ['four (yours)'], base: ['four'], theirs: ['four (new)'] }]);
    expect(merged.text).toContain(
      `<<<<<<< ${LABELS.ours}\nfour (yours)\n||||||| ${LABELS.base}\nfour\n=======\nfour (new)\n>>>>>>> ${LABELS.theirs}\n`,
    );
    expect(merged.text).toContain('one\n');
  });

  it('without git, makes a file both sides changed one conflict instead of choosing', async () => {
    const ours = BASE.replace('one', 'ONE');
    const theirs = BASE.replace('eight', 'EIGHT');
    const merged = await mergeText(BASE, ours, theirs, { git: false });
    expect(merged.conflicts).toHaveLength(1);
    expect(merged.text).toBe(`<<<<<<< yours\n${ours}||||||| generated\n${BASE}=======\n${theirs}>>>>>>> upgrade\n`);
    expect(keepOurs(merged.text)).toBe(ours);
    expect(await mergeText(BASE, BASE, theirs, { git: false })).toEqual({ text: theirs, conflicts: [] });
  });

  it('keeps our side of each conflict and describes the rejected change', async () => {
    const merged = await mergeText(
      BASE,
      BASE.replace('four', 'four (yours)').replace('one', 'ONE'),
      BASE.replace('four', 'four (new)').replace('eight', 'EIGHT'),
    );
    expect(keepOurs(merged.text)).toBe(lines('ONE', 'two', 'three', 'four (yours)', 'five', 'six', 'seven', 'EIGHT'));
    expect(conflictsIn(merged.text)).toHaveLength(1);
    const rej = rejectFile('notes.txt', merged.conflicts);
    expect(rej).toContain('--- notes.txt');
    expect(rej).toContain('-four\n+four (new)\n');
  });
});

describe('mergeJson', () => {
  const base = { name: 'demo', scripts: { test: 'vitest run' }, dependencies: { hono: '4.0.0', zod: '3.0.0' } };

  it('merges keys each side added or changed', () => {
    const ours = { ...base, dependencies: { ...base.dependencies, lodash: '4.17.21' } };
    const theirs = {
      ...base,
      scripts: { ...base.scripts, verify: 'mcp-arch verify' },
      dependencies: { hono: '4.1.0', zod: '3.0.0', ioredis: '5.0.0' },
    };
    expect(mergeJson(base, ours, theirs)).toEqual({
      value: {
        name: 'demo',
        scripts: { test: 'vitest run', verify: 'mcp-arch verify' },
        dependencies: { hono: '4.1.0', zod: '3.0.0', lodash: '4.17.21', ioredis: '5.0.0' },
      },
      conflicts: [],
    });
  });

  it('removes a key the generator dropped and you did not change', () => {
    const theirs = { ...base, dependencies: { hono: '4.0.0' } };
    expect(mergeJson(base, base, theirs).value).toEqual(theirs);
  });

  it('names a key both sides changed differently and keeps yours', () => {
    const ours = { ...base, dependencies: { ...base.dependencies, zod: '3.1.0' } };
    const theirs = { ...base, dependencies: { ...base.dependencies, zod: '4.0.0' } };
    expect(mergeJson(base, ours, theirs)).toEqual({ value: ours, conflicts: ['dependencies.zod'] });
  });
});
