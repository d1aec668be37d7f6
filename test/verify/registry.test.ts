import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHECKLIST } from '../../src/core/checklist.js';
import { CHECKS } from '../../src/verify/checks/index.js';

describe('check registry', () => {
  it('has exactly one check per checklist item', () => {
    for (const item of CHECKLIST) {
      expect(
        CHECKS.filter((check) => check.item.id === item.id),
        item.id,
      ).toHaveLength(1);
    }
    expect(CHECKS).toHaveLength(CHECKLIST.length);
  });

  it('uses the checklist items themselves, not copies', () => {
    for (const check of CHECKS) expect(CHECKLIST).toContain(check.item);
  });

  it('gives every check a static part', () => {
    for (const check of CHECKS) expect(typeof check.static, check.item.id).toBe('function');
  });

  it.each(CHECKLIST.map((item) => item.id))('keeps %s in the file named after it', async (id) => {
    const file = `${id.replace('.', '-')}`;
    const url = new URL(`../../src/verify/checks/${file}.ts`, import.meta.url);
    expect(existsSync(url), file).toBe(true);
    const module = (await import(url.href)) as Record<string, unknown>;
    const exported = Object.values(module).filter((value) => CHECKS.includes(value as (typeof CHECKS)[number]));
    expect(exported).toHaveLength(1);
    expect((exported[0] as (typeof CHECKS)[number]).item.id).toBe(id);
  });
});
