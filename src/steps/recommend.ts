import { QUESTIONS, type AdvisorAnswers } from '../core/answers.js';
import { generatablePatterns } from '../core/compat.js';
import { UserError } from '../core/errors.js';
import { PATTERNS } from '../core/patterns.js';
import { explainChoice, recommend as advise } from '../core/recommend.js';
import { formatMigrationHint, migrationHint, projectHere } from '../evolve/advice.js';
import type { Context } from './context.js';
import { formatRecommendation } from './present.js';

function complete(answers: Partial<AdvisorAnswers>): answers is AdvisorAnswers {
  return QUESTIONS.every((q) => answers[q.id] !== undefined);
}

/**
 * Shows the recommendation and settles the pattern: the one given, the user's pick, or the
 * recommended one (accepted by --yes, or implied by answers given without --pattern).
 */
export async function recommend(
  ctx: Pick<
    Context,
    | 'answers'
    | 'assumed'
    | 'options'
    | 'recommendation'
    | 'interactive'
    | 'yes'
    | 'prompt'
    | 'output'
    | 'color'
    | 'run'
    | 'cwd'
  >,
): Promise<void> {
  if (!complete(ctx.answers)) return; // --pattern given without answers: nothing to advise on.
  const recommendation = advise(ctx.answers, ctx.assumed);
  if (!ctx.run.json) {
    ctx.output.out(`${formatRecommendation(recommendation, ctx.color)}\n`);
    // Run inside a generated project, the advice also says whether to migrate it.
    const here = await projectHere(undefined, ctx.cwd).catch(() => undefined);
    if (here) ctx.output.out(`${formatMigrationHint(here, migrationHint(recommendation, here.options))}\n`);
  }

  const available = generatablePatterns();
  let pattern = ctx.options.pattern;
  if (pattern === undefined && ctx.interactive && !ctx.yes) {
    const ordered = recommendation.ranking.map((r) => r.pattern).filter((id) => available.includes(id));
    const recommended = available.includes(recommendation.pattern) ? recommendation.pattern : ordered[0];
    if (!available.includes(recommendation.pattern)) {
      ctx.output.out(
        ctx.color.yellow(`This version does not generate ${recommendation.pattern} yet; choose one it generates.\n`),
      );
    }
    pattern = await ctx.prompt.select({
      message: 'Which pattern should be generated?',
      choices: ordered.map((id) => {
        const entry = recommendation.ranking.find((r) => r.pattern === id)!;
        const note =
          id === recommendation.pattern ? ' (recommended)' : entry.blocked ? ` (cannot deploy: ${entry.blocked})` : '';
        return { value: id, name: `${PATTERNS[id].title}${note}`, description: PATTERNS[id].summary };
      }),
      default: recommended,
    });
  }
  if (pattern === undefined) {
    if (!available.includes(recommendation.pattern)) {
      throw new UserError(
        `The recommended pattern is ${recommendation.pattern}, which this version does not generate yet. Pass --pattern with one it generates: ${available.join(', ')}.`,
      );
    }
    pattern = recommendation.pattern;
  }
  ctx.options.pattern = pattern;
  ctx.recommendation =
    pattern === recommendation.pattern
      ? recommendation
      : explainChoice(ctx.answers, pattern, recommendation.ranking, ctx.assumed);
}
