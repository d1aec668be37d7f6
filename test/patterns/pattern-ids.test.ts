import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATTERN_IDS } from '../../src/core/ids.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** Where a pattern id may be compared against: the definitions themselves. */
const OWNERS = [/^src\/patterns\//];

/**
 * Comparisons that look like one against a pattern id but are not, each with why: a value of
 * another question that happens to spell a pattern id. Matched by file and by the comparison's
 * text, so any other comparison in the same file is still found.
 */
const NOT_PATTERN_IDS = [
  {
    file: 'src/core/answers.ts',
    text: "v === 'multi-region'",
    why: 'the geography answer "users spread across regions", not the pattern',
  },
];

const ids = PATTERN_IDS.map((id) => id.replace(/[-]/g, '\\-')).join('|');
/** `x === 'gateway'`, `'gateway' !== x`, `case 'gateway':`, `.includes('gateway')`. */
const CODE = new RegExp(
  [
    `[!=]==?\\s*(['"\`])(?:${ids})\\1`,
    `(['"\`])(?:${ids})\\2\\s*[!=]==?`,
    `\\bcase\\s+(['"\`])(?:${ids})\\3\\s*:`,
    `\\.includes\\(\\s*(['"\`])(?:${ids})\\4\\s*\\)`,
  ].join('|'),
);
/** `{{#if (eq pattern "gateway")}}`, or any `eq` against a pattern id. */
const TEMPLATE = new RegExp(`\\(eq\\s+pattern\\b|\\beq\\s+\\S+\\s+(["'])(?:${ids})\\1`);

function files(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(full, keep));
    else if (keep(full)) out.push(full);
  }
  return out;
}

/** `file:line: text` of every line of `paths` that matches `pattern`. */
export function comparisons(paths: readonly string[], pattern: RegExp, root = ROOT): string[] {
  const found: string[] = [];
  for (const path of paths) {
    const rel = relative(root, path).split(sep).join('/');
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        if (pattern.test(line)) found.push(`${rel}:${index + 1}: ${line.trim()}`);
      });
  }
  return found;
}

const owned = (path: string) => OWNERS.some((owner) => owner.test(relative(ROOT, path).split(sep).join('/')));

/** Drops the comparisons `NOT_PATTERN_IDS` explains. */
const unexplained = (found: readonly string[]) =>
  found.filter((hit) => !NOT_PATTERN_IDS.some(({ file, text }) => hit.startsWith(`${file}:`) && hit.includes(text)));

describe('facts about a pattern live in its definition', () => {
  it('no code outside src/patterns/ compares against a pattern id', () => {
    const code = files(join(ROOT, 'src'), (path) => path.endsWith('.ts') && !owned(path));
    expect(code.length).toBeGreaterThan(50);
    expect(unexplained(comparisons(code, CODE))).toEqual([]);
  });

  it('no template branches on the pattern', () => {
    const templates = files(join(ROOT, 'templates'), (path) => path.endsWith('.hbs'));
    expect(templates.length).toBeGreaterThan(20);
    expect(comparisons(templates, TEMPLATE)).toEqual([]);
  });

  it('explains only comparisons that exist, one line each', () => {
    for (const { file, text } of NOT_PATTERN_IDS)
      expect(
        comparisons([join(ROOT, file)], CODE).filter((hit) => hit.includes(text)),
        file,
      ).toHaveLength(1);
  });

  it('still finds a pattern comparison in a file that holds an explained one', () => {
    const found = [
      `src/core/answers.ts:1: if (answers.pattern === 'gateway') {}`,
      "src/core/answers.ts:100: cite: (v) => (v === 'multi-region' ? 'a' : 'b'),",
    ];
    expect(unexplained(found)).toEqual([found[0]]);
  });

  it('finds a planted comparison in code and in a template', () => {
    const planted = [
      "if (options.pattern === 'gateway') return 3;",
      "const one = 'single' !== manifest.pattern;",
      "case 'load-balanced':",
      "if (['x'].includes('multi-region')) {}",
    ];
    for (const line of planted) expect(CODE.test(line), line).toBe(true);
    expect(TEMPLATE.test('{{#if (eq pattern "gateway")}}')).toBe(true);
    expect(TEMPLATE.test('{{#unless (eq kind "serverless")}}')).toBe(true);
    // Mentions that are not comparisons stay allowed.
    expect(CODE.test("id: 'gateway',")).toBe(false);
    expect(TEMPLATE.test('{{#if (eq store "memory")}}')).toBe(false);
  });
});
