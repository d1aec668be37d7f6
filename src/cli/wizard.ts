import type { Command } from 'commander';
import { generatorRef } from '../core/tool-info.js';
import type { TemplateSet } from '../render/templates.js';
import type { Context } from '../steps/index.js';
import { parseFlags } from './flags.js';
import {
  canPrompt,
  chalkFor,
  cliOutput,
  colorEnabled,
  inquirerPrompter,
  noPrompter,
  packageVersion,
  type CliIo,
} from './io.js';

/**
 * Whether the wizard may prompt: a command that prompts at all, not --json, not --yes (which
 * promises that nothing is asked), and a terminal on both ends without CI.
 */
export function wizardInteractive(
  io: { stdin: { isTTY?: boolean }; stdout: { isTTY?: boolean }; env: NodeJS.ProcessEnv },
  flags: { prompts: boolean; json: boolean; yes: boolean },
): boolean {
  return flags.prompts && !flags.json && !flags.yes && canPrompt(io.stdin, io.stdout, io.env);
}

/** Builds the wizard's context from a parsed command and runs it. `prompts: false` for `generate`. */
export async function runFromCommand(
  command: Command,
  dir: string | undefined,
  signal: AbortSignal,
  prompts: boolean,
  io: CliIo,
): Promise<void> {
  const values = command.opts<Record<string, unknown>>();
  const cwd = io.cwd;
  const parsed = parseFlags(values, cwd);
  const json = values.json === true;
  const yes = values.yes === true;
  const interactive = wizardInteractive(io, { prompts, json, yes });
  // Loaded here, not at start-up, so `--help` and usage errors stay fast.
  const [{ runWizard }, { loadTemplates }, { detectPackageManager }] = await Promise.all([
    import('../steps/index.js'),
    import('../render/templates.js'),
    import('../steps/install.js'),
  ]);
  let templates: TemplateSet | undefined;
  const ctx: Context = {
    cwd,
    env: io.env,
    version: packageVersion(),
    generator: generatorRef(),
    interactive,
    yes,
    prompt: interactive ? inquirerPrompter() : noPrompter,
    output: cliOutput(io, json),
    color: chalkFor(!json && colorEnabled(io.stdout, io.env)),
    signal,
    templates: () => (templates ??= loadTemplates()),
    dir,
    name: parsed.name,
    answers: parsed.answers,
    options: parsed.options,
    run: {
      install: values.install !== false,
      git: values.git !== false,
      pm: parsed.pm ?? detectPackageManager(io.env),
      dryRun: values.dryRun === true,
      json,
    },
    result: { written: false, installed: false, git: 'not-run' },
  };
  await runWizard(ctx);
}
