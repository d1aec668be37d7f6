import type { ChalkInstance } from 'chalk';
import type { AdvisorAnswers, QuestionId } from '../core/answers.js';
import type { Blueprint } from '../core/blueprint.js';
import type { ProjectOptions, RunOptions } from '../core/options.js';
import type { Recommendation } from '../core/recommend.js';
import type { GeneratorRef } from '../core/tool-info.js';
import type { RenderedFile } from '../render/render.js';
import type { TemplateSet } from '../render/templates.js';

export interface Choice<T> {
  value: T;
  name: string;
  description?: string;
  checked?: boolean;
}

/** The prompts a step may ask. Injected: the CLI passes @inquirer/prompts, tests a script. */
export interface Prompter {
  input(question: { message: string; default?: string; validate?: (value: string) => true | string }): Promise<string>;
  select<T>(question: { message: string; choices: Choice<T>[]; default?: T }): Promise<T>;
  checkbox<T>(question: { message: string; choices: Choice<T>[]; required?: boolean }): Promise<T[]>;
  confirm(question: { message: string; default?: boolean }): Promise<boolean>;
}

/** Where steps print. `out` is the result (stdout), `info` progress and notes (stderr in --json). */
export interface Output {
  out(text: string): void;
  info(text: string): void;
  /** Whether the terminal can redraw a line (spinners). */
  interactiveErr: boolean;
}

/**
 * One shared context for the wizard pipeline. Each step takes `Pick<Context, ...>` of what it
 * reads and writes, and asks only for what is still undefined. Side effects (write, install,
 * git) are steps of their own that run after every question has been answered.
 */
export interface Context {
  cwd: string;
  env: NodeJS.ProcessEnv;
  version: string;
  /** How generated projects depend on this generator (`file:` from a source checkout); `version` when absent. */
  generator?: GeneratorRef;
  /** Prompts are allowed: stdin and stdout are terminals, CI is unset, and not --json. */
  interactive: boolean;
  /** --yes: accept the recommendation and defaults for whatever was not given. */
  yes: boolean;
  prompt: Prompter;
  output: Output;
  color: ChalkInstance;
  signal: AbortSignal;
  templates: () => TemplateSet;

  /** The target directory as given (relative to cwd) and resolved. */
  dir?: string;
  targetDir?: string;
  /** Package name given with --name or in the answers file. */
  name?: string;
  /** Advisor answers given so far (flags, answers file, prompts). */
  answers: Partial<AdvisorAnswers>;
  /** The answers nobody gave: `--yes` filled them with their defaults. */
  assumed?: QuestionId[];
  /** Project options given so far. */
  options: Partial<ProjectOptions>;
  recommendation?: Recommendation;
  project?: ProjectOptions;
  run: RunOptions;
  blueprint?: Blueprint;
  files?: RenderedFile[];
  /** What happened, for --json and next steps. */
  result: {
    written: boolean;
    installed: boolean;
    git: 'committed' | 'skipped-inside-repo' | 'skipped' | 'failed' | 'not-run';
  };
}
