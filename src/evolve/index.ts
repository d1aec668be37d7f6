import { EXIT, UserError, type ExitCode } from '../core/errors.js';
import type { RenderedFile } from '../render/render.js';
import { FEATURES, isFeature, type ConflictStyle, type Feature } from './ids.js';
import { applyChanges } from './apply.js';
import { unifiedDiff } from './diff.js';
import { addBackend, addRegion, migratedOptions, optionsWith, valueHelp, type BackendSpec } from './features.js';
import { conflictCount, planEvolution, type EvolutionPlan } from './plan.js';
import { loadTemplates } from '../render/templates.js';
import { loadProject, renderBase, renderWith, resolveBase, uncommitted } from './project.js';

export { CONFLICT_STYLES, FEATURES, type ConflictStyle } from './ids.js';

/** What to do to the project. */
export type Evolution =
  | { command: 'add'; feature: string; value?: string; backend?: BackendSpec }
  | { command: 'migrate'; pattern: string; store?: string }
  | { command: 'upgrade' }
  | { command: 'check-update' };

/** The flags every evolve command takes. */
export interface EvolveFlags {
  dir: string;
  dryRun: boolean;
  diff: boolean;
  conflict: ConflictStyle;
  allowDirty: boolean;
  yes: boolean;
  json: boolean;
  /** The generator that made the project, when neither this one nor the project's dependency is. */
  from?: string;
  /**
   * The base rendering, when the caller holds it (a kept rendering of an earlier release);
   * otherwise it is rendered by the generator `from`, this one, or the project's dependency.
   */
  base?: readonly RenderedFile[];
}

/** What a run reads and writes beyond the project: injected, so runs are testable without a terminal. */
export interface EvolveIo {
  out(text: string): void;
  info(text: string): void;
  /** Asks to apply; undefined when there is no terminal to ask on. */
  confirm?: (message: string) => Promise<boolean>;
  signal?: AbortSignal;
}

function describe(plan: EvolutionPlan): string[] {
  return plan.changes.map(
    (change) =>
      `  ${change.action.padEnd(6)} ${change.path}${change.conflicts > 0 ? `  (${change.conflicts} conflict${change.conflicts > 1 ? 's' : ''})` : ''}`,
  );
}

/**
 * Runs `add`, `migrate`, `upgrade` or `check-update` on the project in `flags.dir`. Every refusal
 * comes before anything is written; the write is all or nothing. Answers the exit code: 0 done
 * (or up to date), 1 conflicts left to resolve (or, for check-update, an update would change the
 * project); usage errors are thrown as UserError (exit 2).
 */
export async function evolve(evolution: Evolution, flags: EvolveFlags, io: EvolveIo): Promise<ExitCode> {
  if (evolution.command === 'add' && !isFeature(evolution.feature))
    throw new UserError(
      `Unknown feature ${JSON.stringify(evolution.feature)}. mcp-arch add takes one of: ${FEATURES.join(', ')}.`,
    );
  const project = await loadProject(flags.dir);
  const notes: string[] = [];
  const checkOnly = evolution.command === 'check-update';

  // Decide the target (and refuse a bad one) before looking at the tree or rendering anything.
  let target = project.options;
  let configEdit: EvolutionPlan | undefined;
  if (evolution.command === 'add') {
    const { value } = evolution;
    // Checked by isFeature above.
    const feature = evolution.feature as Feature;
    if ((feature === 'backend' || feature === 'region') && value === undefined)
      throw new UserError(`add ${feature} needs a name: ${valueHelp(feature)}.`);
    if (feature === 'backend') {
      const deployed = project.options.deploy.filter((target) => target === 'compose' || target === 'k8s');
      configEdit = {
        changes: [await addBackend(project.dir, project.options.pattern, value!, evolution.backend ?? {})],
        generatorChanges: [],
        // The deployed servers file is written into compose.yaml and the k8s ConfigMap, with secrets from the environment.
        notes:
          deployed.length > 0
            ? [`${deployed.join(' and ')} deploy a servers file of their own: add ${value} there to deploy it.`]
            : [],
      };
    } else if (feature === 'region') {
      const { changes, notes: regionNotes } = await addRegion(
        project.dir,
        project.options,
        value!,
        evolution.backend?.url,
        loadTemplates,
      );
      configEdit = { changes, generatorChanges: [], notes: regionNotes };
    } else {
      const next = optionsWith(project.options, feature, value);
      if (next === undefined) {
        io.info(`The project has ${value === undefined ? feature : `${feature} ${value}`} already; nothing to do.`);
        if (flags.json)
          io.out(JSON.stringify({ schemaVersion: 1, command: 'add', changes: [], conflicts: 0 }, null, 2));
        return EXIT.ok;
      }
      target = next;
    }
  } else if (evolution.command === 'migrate') {
    if (evolution.pattern === project.options.pattern && evolution.store === undefined)
      throw new UserError(
        `The project is ${evolution.pattern} already. Pass --pattern with another pattern to migrate to.`,
      );
    const migrated = migratedOptions(project.options, evolution.pattern, evolution.store);
    target = migrated.options;
    notes.push(...migrated.notes);
  }

  if (!checkOnly && !flags.dryRun && !flags.allowDirty) {
    const dirty = await uncommitted(project.dir);
    if (dirty && dirty.length > 0)
      throw new UserError(
        `${project.dir} has uncommitted changes (${dirty.length} path${dirty.length > 1 ? 's' : ''}, e.g. ${dirty[0]!.trim()}). ` +
          'Commit or stash them first so the merge can be reviewed and undone, or pass --allow-dirty; nothing was written.',
      );
  }

  let plan: EvolutionPlan;
  if (configEdit) plan = configEdit;
  else {
    const templates = loadTemplates();
    const base = flags.base ?? (await renderBase(project, await resolveBase(project, flags.from), templates));
    const theirs = renderWith(target, templates);
    const carried = project.manifest.answers ? { answers: project.manifest.answers } : {};
    plan = await planEvolution({ dir: project.dir, base, theirs, conflict: flags.conflict, carried });
  }
  plan.notes.unshift(...notes);
  const conflicts = conflictCount(plan);

  if (checkOnly) {
    const outdated = plan.generatorChanges.length > 0;
    if (flags.json)
      io.out(
        JSON.stringify(
          {
            schemaVersion: 1,
            command: 'check-update',
            upToDate: !outdated,
            generator: { recorded: project.manifest.generator.version },
            changedByGenerator: plan.generatorChanges,
          },
          null,
          2,
        ),
      );
    else if (outdated)
      io.out(
        `An upgrade would change ${plan.generatorChanges.length} file(s):\n${plan.generatorChanges.map((path) => `  ${path}`).join('\n')}\nRun mcp-arch upgrade to take them.`,
      );
    else io.out('Up to date: this generator would change nothing.');
    return outdated ? EXIT.failed : EXIT.ok;
  }

  const diff = flags.diff && plan.changes.length > 0 ? await unifiedDiff(project.dir, plan.changes) : undefined;
  const summary = () => {
    if (flags.json)
      io.out(
        JSON.stringify(
          {
            schemaVersion: 1,
            command: evolution.command,
            dryRun: flags.dryRun,
            from: project.options,
            to: target,
            changes: plan.changes.map(({ path, action, conflicts: count }) => ({ path, action, conflicts: count })),
            conflicts,
            notes: plan.notes,
            ...(diff === undefined ? {} : { diff }),
          },
          null,
          2,
        ),
      );
    else if (plan.changes.length === 0)
      io.out(evolution.command === 'upgrade' ? 'Up to date: nothing to change.' : 'Nothing to change.');
    else io.out(`${flags.dryRun ? 'Would change' : 'Changes'}:\n${describe(plan).join('\n')}`);
    for (const note of plan.notes) io.info(`Note: ${note}`);
  };

  if (diff !== undefined && !flags.json) io.out(diff);
  summary();
  if (flags.dryRun || plan.changes.length === 0) return EXIT.ok;

  if (!flags.yes) {
    if (!io.confirm)
      throw new UserError('Pass --yes to apply these changes (or --dry-run to only show them); nothing was written.');
    if (!(await io.confirm(`Apply ${plan.changes.length} change(s) to ${project.dir}?`))) {
      io.info('Nothing was written.');
      return EXIT.ok;
    }
  }
  await applyChanges(project.dir, plan.changes, { signal: io.signal });
  if (conflicts > 0) {
    io.info(
      `${conflicts} conflict(s) left to resolve ${flags.conflict === 'rej' ? 'in the .rej files (your lines were kept)' : 'between the <<<<<<< and >>>>>>> markers'}; then run npm install, npm test and npm run verify.`,
    );
    return EXIT.failed;
  }
  io.info('Done. Next: npm install, npm test, npm run verify.');
  return EXIT.ok;
}
