import { lstat, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { execa } from 'execa';
import { toBlueprint } from '../core/blueprint.js';
import { EXIT, UserError } from '../core/errors.js';
import { MANIFEST_FILE, optionsOf, type Manifest } from '../core/manifest.js';
import { GENERATOR_PACKAGE, generatorRef, type GeneratorRef } from '../core/tool-info.js';
import type { PatternOptions } from '../patterns/index.js';
import { render, type RenderedFile } from '../render/render.js';
import type { TemplateSet } from '../render/templates.js';
import { loadManifest } from '../verify/readers/manifest.js';
import { hasGit } from './merge.js';

/** A generated project on disk, as `mcp-arch.json` describes it. */
export interface Project {
  dir: string;
  manifest: Manifest;
  /** The options it was generated with: re-rendering them with its generator gives the base. */
  options: PatternOptions;
  /** The create-mcp-arch spec in its package.json (how it names its generator), when present. */
  generatorSpec?: string;
}

/** Reads the project at `dir`; no `mcp-arch.json` (or a broken one) is a usage error naming the file. */
export async function loadProject(dir: string): Promise<Project> {
  const manifest = await loadManifest(dir);
  let generatorSpec: string | undefined;
  try {
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      devDependencies?: Record<string, string>;
    };
    generatorSpec = pkg.devDependencies?.[GENERATOR_PACKAGE];
  } catch {
    // No readable package.json: the base names the generator by its version.
  }
  return { dir, manifest, options: optionsOf(manifest), generatorSpec };
}

/**
 * Renders options with this generator's templates, in memory. `templates` is read once per run
 * and shared by the base and the new rendering.
 */
export function renderWith(
  options: PatternOptions,
  templates: TemplateSet,
  generator: GeneratorRef = generatorRef(),
): RenderedFile[] {
  return render(toBlueprint(options, templates.catalog, generator), templates);
}

/** Every file under `root`, as rendered files (paths with `/`). */
export async function readTree(root: string): Promise<RenderedFile[]> {
  const out: RenderedFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const info = await lstat(full);
        out.push({
          path: relative(root, full).split(sep).join('/'),
          contents: await readFile(full),
          executable: (info.mode & 0o111) !== 0,
        });
      }
    }
  };
  await walk(root);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Renders options with another generator (a checkout or an installed package of create-mcp-arch)
 * through its own `mcp-arch generate`, into a temporary folder that is removed afterwards. Its
 * own code and templates make the base, so nothing here needs to know how that version rendered.
 * Only the flags of fields the manifest recorded are passed, so an older generator is not given
 * a flag it does not know.
 */
export async function renderWithGenerator(
  root: string,
  project: Pick<Project, 'options' | 'manifest'>,
  recorded: ReadonlySet<string>,
): Promise<RenderedFile[]> {
  const { options } = project;
  const work = await mkdtemp(join(tmpdir(), 'mcp-arch-base-'));
  try {
    const target = join(work, options.name.replace(/^@[^/]+\//, ''));
    const args = [
      join(root, 'bin', 'mcp-arch.js'),
      'generate',
      target,
      '--name',
      options.name,
      '--pattern',
      options.pattern,
      '--store',
      options.store,
      '--deploy',
      options.deploy.join(','),
      '--auth',
      options.authMode,
      '--session-mode',
      options.sessionMode,
      ...(recorded.has('protocol') ? ['--protocol', options.protocol] : []),
      // Deployed tracing has no flag: it is an option of the answers file.
      ...(options.tracing ? ['--answers', await tracingAnswers(work)] : []),
      '--yes',
      '--no-install',
      '--no-git',
    ];
    const result = await execa(process.execPath, args, { reject: false, env: { CI: '1' } });
    if (result.exitCode !== 0)
      throw new UserError(
        `The generator at ${root} could not render the project's base (exit ${result.exitCode}): ${result.stderr.trim()}`,
        EXIT.failed,
      );
    return await readTree(target);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** An answers file turning deployed tracing on, in `dir`. */
async function tracingAnswers(dir: string): Promise<string> {
  const file = join(dir, 'answers.json');
  await writeFile(file, `${JSON.stringify({ tracing: true })}\n`);
  return file;
}

/** The version of the create-mcp-arch package at `root`, or undefined when there is none. */
export async function generatorVersionAt(root: string): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { name?: string; version?: string };
    return pkg.name === GENERATOR_PACKAGE ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/** Fields present in the project's `mcp-arch.json` as written (before older manifests are migrated). */
export async function recordedFields(dir: string): Promise<Set<string>> {
  const data = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Record<string, unknown>;
  return new Set(Object.keys(data));
}

/**
 * Where the base comes from:
 * - `from` given: the generator at that folder (a checkout or an installed create-mcp-arch);
 * - the recorded version is the running one: this generator;
 * - otherwise the project's own dev dependency, `node_modules/create-mcp-arch`, when it is the
 *   recorded version (generated projects depend on their generator for `npm run verify`).
 * No registry is asked: the command works offline and renders exactly what made the project.
 */
export type BaseSource = { kind: 'running' } | { kind: 'generator'; root: string };

export async function resolveBase(project: Project, from: string | undefined): Promise<BaseSource> {
  const recorded = project.manifest.generator.version;
  if (from !== undefined) {
    const version = await generatorVersionAt(from);
    if (version === undefined)
      throw new UserError(`--from ${from}: no ${GENERATOR_PACKAGE} package there (its package.json).`, EXIT.usage);
    return { kind: 'generator', root: from };
  }
  if (recorded === generatorRef().version) return { kind: 'running' };
  const installed = join(project.dir, 'node_modules', GENERATOR_PACKAGE);
  if ((await generatorVersionAt(installed)) === recorded) return { kind: 'generator', root: installed };
  throw new UserError(
    `${MANIFEST_FILE} records ${GENERATOR_PACKAGE} ${recorded}, this is ${generatorRef().version}, and the project's node_modules/${GENERATOR_PACKAGE} is not ${recorded}. ` +
      `Run npm install in the project (its dev dependency is the generator that made it), or pass --from <folder of ${GENERATOR_PACKAGE} ${recorded}>; nothing was written.`,
    EXIT.usage,
  );
}

/** The base rendering: the recorded options rendered by the generator that made the project. */
export async function renderBase(
  project: Project,
  source: BaseSource,
  templates: TemplateSet,
): Promise<RenderedFile[]> {
  if (source.kind === 'generator') return renderWithGenerator(source.root, project, await recordedFields(project.dir));
  const version = project.manifest.generator.version;
  return renderWith(project.options, templates, { version, spec: project.generatorSpec ?? version });
}

/**
 * The paths with uncommitted changes when `dir` is inside a git work tree; an empty list when
 * clean, undefined when there is no git or no repository (nothing to protect the user's work
 * with, so nothing to refuse on).
 */
export async function uncommitted(dir: string): Promise<string[] | undefined> {
  if (!(await hasGit())) return undefined;
  const inside = await execa('git', ['-C', dir, 'rev-parse', '--is-inside-work-tree'], { reject: false });
  if (inside.exitCode !== 0 || inside.stdout.trim() !== 'true') return undefined;
  const status = await execa('git', ['-C', dir, 'status', '--porcelain', '--', '.'], { reject: false });
  if (status.exitCode !== 0) return undefined;
  return status.stdout.split('\n').filter((line) => line.trim() !== '');
}
