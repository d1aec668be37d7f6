import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdvisorAnswers } from '../core/answers.js';
import { MANIFEST_FILE } from '../core/manifest.js';
import type { Recommendation } from '../core/recommend.js';
import type { PatternOptions } from '../patterns/index.js';
import { loadProject, type Project } from './project.js';

/** When the advice for a project's answers is another pattern: the command that moves it there, and why. */
export interface MigrationHint {
  from: string;
  pattern: string;
  /** The store the advice picks there, when it is not the project's. */
  store?: string;
  command: string;
  /** The recommendation's strongest reasons. */
  reasons: string[];
}

/**
 * Compares the advice with a generated project: undefined when the project already has the
 * recommended pattern, else the `mcp-arch migrate` command that moves it (with `--store` when
 * the advice keeps sessions elsewhere) and the reasons that cite the answers.
 */
export function migrationHint(recommendation: Recommendation, options: PatternOptions): MigrationHint | undefined {
  if (recommendation.pattern === options.pattern) return undefined;
  const store = recommendation.store === options.store ? undefined : recommendation.store;
  return {
    from: options.pattern,
    pattern: recommendation.pattern,
    ...(store === undefined ? {} : { store }),
    command: `mcp-arch migrate --pattern ${recommendation.pattern}${store === undefined ? '' : ` --store ${store}`}`,
    reasons: recommendation.reasons.slice(0, 2).map((reason) => reason.text),
  };
}

/** The hint as lines for the terminal, or the confirmation that the project fits the advice. */
export function formatMigrationHint(project: Project, hint: MigrationHint | undefined): string {
  const here = `This project (${MANIFEST_FILE}) is ${project.options.pattern}`;
  if (hint === undefined) return `${here}: it fits the advice; nothing to migrate.`;
  return [
    `${here}; for these answers the advice is ${hint.pattern}:`,
    ...hint.reasons.map((reason) => `  - ${reason}`),
    `Move it with: ${hint.command} (add --dry-run --diff to see the changes first)`,
  ].join('\n');
}

/**
 * The generated project the advisor runs in: the one in `dir` when given (it must have a
 * manifest), else the current folder when it holds `mcp-arch.json`.
 */
export async function projectHere(dir: string | undefined, cwd: string): Promise<Project | undefined> {
  if (dir !== undefined) return loadProject(dir);
  const found = await access(join(cwd, MANIFEST_FILE)).then(
    () => true,
    () => false,
  );
  return found ? loadProject(cwd) : undefined;
}

/** The project's recorded answers with the ones given now over them. */
export function answersFor(project: Project | undefined, given: Partial<AdvisorAnswers>): Partial<AdvisorAnswers> {
  return { ...(project?.manifest.answers ?? {}), ...given };
}
