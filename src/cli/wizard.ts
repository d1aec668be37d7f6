import type { Command } from 'commander';
import type { TemplateSet } from '../render/templates.js';
import type { Context } from '../steps/index.js';
import { parseFlags } from './flags.js';
import { canPrompt, chalkFor, colorEnabled, inquirerPrompter, noPrompter, packageVersion, processOutput } from './io.js';

/** Builds the wizard's context from a parsed command and runs it. `prompts: false` for `generate`. */
export async function runFromCommand(command: Command, dir: string | undefined, signal: AbortSignal, prompts: boolean): Promise<void> {
  const values = command.opts<Record<string, unknown>>();
  const cwd = process.cwd();
  const parsed = parseFlags(values, cwd);
  const json = values.json === true;
  const interactive = prompts && !json && canPrompt(process.stdin, process.stdout, process.env);
  // Loaded here, not at start-up, so `--help` and usage errors stay fast.
  const [{ runWizard }, { loadTemplates }, { detectPackageManager }] = await Promise.all([
    import('../steps/index.js'),
    import('../render/templates.js'),
    import('../steps/install.js'),
  ]);
  let templates: TemplateSet | undefined;
  const ctx: Context = {
    cwd,
    env: process.env,
    version: packageVersion(),
    interactive,
    yes: values.yes === true,
    prompt: interactive ? inquirerPrompter() : noPrompter,
    output: processOutput(json),
    color: chalkFor(!json && colorEnabled(process.stdout, process.env)),
    signal,
    templates: () => (templates ??= loadTemplates()),
    dir,
    name: parsed.name,
    answers: parsed.answers,
    options: parsed.options,
    run: {
      install: values.install !== false,
      git: values.git !== false,
      pm: parsed.pm ?? detectPackageManager(process.env),
      dryRun: values.dryRun === true,
      json,
    },
    result: { written: false, installed: false, git: 'not-run' },
  };
  await runWizard(ctx);
}
