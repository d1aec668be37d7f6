import { ask } from './ask.js';
import { configure } from './configure.js';
import type { Context } from './context.js';
import { git } from './git.js';
import { install } from './install.js';
import { nextSteps } from './next-steps.js';
import { plan } from './plan.js';
import { preflight } from './preflight.js';
import { recommend } from './recommend.js';
import { targetDir } from './target-dir.js';
import { write } from './write.js';

export type { Context, Prompter, Output, Choice } from './context.js';

/** The wizard: questions first, then the plan, then the side effects, in one direction. */
export async function runWizard(ctx: Context): Promise<void> {
  await targetDir(ctx);
  await preflight(ctx);
  await ask(ctx);
  await recommend(ctx);
  await configure(ctx);
  plan(ctx);
  await write(ctx);
  await install(ctx);
  await git(ctx);
  nextSteps(ctx);
}
