import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { onTestFinished } from 'vitest';
import { loadTemplates } from '../../src/render/templates.js';
import type { Choice, Context, Prompter } from '../../src/steps/context.js';

type Answer = string | number | boolean | string[];

/** A prompter that answers from a script keyed by a fragment of each prompt's message, and records what it was asked. */
export function scriptedPrompter(
  script: [RegExp, Answer | ((choices: Choice<unknown>[]) => Answer)][],
): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const answer = (message: string, choices: Choice<unknown>[] = []) => {
    asked.push(message);
    const entry = script.find(([pattern]) => pattern.test(message));
    if (!entry) throw new Error(`unexpected prompt: ${message}`);
    return typeof entry[1] === 'function' ? entry[1](choices) : entry[1];
  };
  return {
    asked,
    input: async (q) => {
      const value = String(answer(q.message));
      const valid = q.validate?.(value) ?? true;
      if (valid !== true) throw new Error(`validation failed for ${q.message}: ${valid}`);
      return value;
    },
    confirm: async (q) => Boolean(answer(q.message)),
    select: async <T>(q: { message: string; choices: Choice<T>[] }) => {
      const value = answer(q.message, q.choices as Choice<unknown>[]);
      if (!q.choices.some((c) => c.value === value))
        throw new Error(`${String(value)} is not a choice of ${q.message}`);
      return value as T;
    },
    checkbox: async <T>(q: { message: string; choices: Choice<T>[] }) =>
      answer(q.message, q.choices as Choice<unknown>[]) as unknown as T[],
  };
}

/** A wizard context in a fresh working folder, removed when the test that made it has finished. */
export function makeContext(overrides: Partial<Context> = {}): Context & { printed: string[] } {
  const printed: string[] = [];
  const cwd = mkdtempSync(join(tmpdir(), 'wizard-'));
  onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
  const templates = loadTemplates();
  return {
    cwd,
    env: {},
    version: '0.0.0-test',
    interactive: false,
    yes: false,
    prompt: scriptedPrompter([]),
    output: { out: (t) => printed.push(t), info: (t) => printed.push(t), interactiveErr: false },
    color: new Chalk({ level: 0 }),
    signal: new AbortController().signal,
    templates: () => templates,
    answers: {},
    options: {},
    run: { install: false, git: false, pm: 'npm', dryRun: false, json: false },
    result: { written: false, installed: false, git: 'not-run' },
    printed,
    ...overrides,
  };
}
