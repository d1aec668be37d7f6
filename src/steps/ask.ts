import { QUESTIONS, type AdvisorAnswers, type Question } from '../core/answers.js';
import { UserError } from '../core/errors.js';
import type { Context } from './context.js';

async function askOne(ctx: Pick<Context, 'prompt'>, question: Question): Promise<AdvisorAnswers[keyof AdvisorAnswers]> {
  switch (question.kind) {
    case 'integer': {
      const raw = await ctx.prompt.input({
        message: question.message,
        default: String(question.default),
        validate: (value) => {
          const n = Number(value.trim());
          return /^\d+$/.test(value.trim()) && n >= question.min && n <= question.max
            ? true
            : `Enter a whole number from ${question.min} to ${question.max}`;
        },
      });
      return Number(raw.trim());
    }
    case 'boolean':
      return ctx.prompt.confirm({ message: question.message, default: question.default });
    case 'choice':
      return (await ctx.prompt.select<string>({
        message: question.message,
        choices: question.choices.map((c) => ({ value: c.value, name: c.label })),
        default: question.default,
      })) as AdvisorAnswers[keyof AdvisorAnswers];
  }
}

/**
 * The advisor's questions, asked only when no pattern was given and only for what flags or the
 * answers file left open. `--yes` fills what is open with the defaults and records them in
 * `assumed`, so the recommendation can say which answers nobody gave. Without a terminal and
 * without `--yes`, a missing answer is an error naming its flag.
 */
export async function ask(
  ctx: Pick<Context, 'answers' | 'options' | 'interactive' | 'yes' | 'prompt' | 'assumed'>,
): Promise<void> {
  if (ctx.options.pattern !== undefined) return;
  const missing = QUESTIONS.filter((q) => ctx.answers[q.id] === undefined);
  if (missing.length === 0) return;
  if (ctx.yes) {
    for (const question of missing) (ctx.answers as Record<string, unknown>)[question.id] = question.default;
    ctx.assumed = missing.map((q) => q.id);
    return;
  }
  if (ctx.interactive) {
    for (const question of missing) {
      (ctx.answers as Record<string, unknown>)[question.id] = await askOne(ctx, question);
    }
    return;
  }
  throw new UserError(
    `Missing answers: ${missing.map((q) => `--${q.flag}`).join(', ')}. ` +
      'Pass them as flags or in an --answers file, choose a pattern with --pattern, or pass --yes to accept the defaults.',
  );
}
