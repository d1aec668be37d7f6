import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  AUTH_MODES,
  DEPLOY_TARGETS,
  PATTERN_IDS,
  PROTOCOL_POSTURES,
  SESSION_MODES,
  STORE_IDS,
  type DeployTarget,
} from '../../src/core/ids.js';
import { UserError } from '../../src/core/errors.js';
import type { TemplateSet } from '../../src/render/templates.js';
import { renderProject, type RenderedProject } from '../render/rendered.js';

/** The templates workspace: its package.json pins what generated projects depend on. */
export const WORKSPACE = resolve(import.meta.dirname, '..', '..', 'templates');

/**
 * Where rendered programs are written to be type-checked: inside the workspace, so that module
 * resolution walks up to its node_modules, and inside a node_modules folder, so that neither
 * git, nor `npm pack`, nor the template loader ever sees them.
 */
export const CHECKOUT = join(WORKSPACE, 'node_modules', '.typecheck');

type Options = Parameters<typeof renderProject>[0];

function subsets<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((all, item) => [...all, ...all.map((subset) => [...subset, item])], [[]]);
}

/** Every option combination the generator accepts: the rest it refuses with a UserError. */
export function* validOptions(templates?: TemplateSet): Generator<{ options: Options; project: RenderedProject }> {
  for (const pattern of PATTERN_IDS)
    for (const store of STORE_IDS)
      for (const deploy of subsets<DeployTarget>(DEPLOY_TARGETS))
        for (const authMode of AUTH_MODES)
          for (const sessionMode of SESSION_MODES)
            for (const protocol of PROTOCOL_POSTURES) {
            const options: Options = { name: 'typecheck', pattern, store, deploy, authMode, sessionMode, protocol };
            let project: RenderedProject;
            try {
              project = renderProject(options, templates);
            } catch (error) {
              if (error instanceof UserError) continue;
              throw error;
            }
            yield { options, project };
          }
}

/** What the TypeScript compiler reads of a project: its .ts files and its compiler options. */
function isProgramFile(path: string): boolean {
  return /\.[cm]?tsx?$/.test(path) || path === 'tsconfig.json';
}

/** A distinct generated program and the option combinations that all generate it. */
export interface Program {
  /** Names the first combination that generates it: pattern, store, auth mode, session mode, posture, deploy targets. */
  label: string;
  options: Options[];
  /** The project of the first combination: its blueprint and its files by path. */
  project: RenderedProject;
}

/**
 * The distinct TypeScript programs among all valid option combinations: two combinations that
 * ship the same .ts files with the same contents and compiler options are one program.
 */
export function distinctPrograms(templates?: TemplateSet): Program[] {
  const programs = new Map<string, Program>();
  for (const { options, project } of validOptions(templates)) {
    const hash = createHash('sha256');
    for (const [path, contents] of [...project.files].filter(([path]) => isProgramFile(path)).sort(([a], [b]) => a.localeCompare(b))) {
      hash.update(`${path}\0${contents}\0`);
    }
    const key = hash.digest('hex');
    const known = programs.get(key);
    if (known) known.options.push(options);
    else {
      const label = [options.pattern, options.store, options.authMode, options.sessionMode, options.protocol, options.deploy.join('+') || 'none'].join('-');
      programs.set(key, { label, options: [options], project });
    }
  }
  return [...programs.values()];
}

/** Writes a program's files (all of them: package.json says the .ts files are ES modules) under `root`. */
export function writeProgram(label: string, project: RenderedProject, root: string): string {
  const dir = join(root, label);
  rmSync(dir, { recursive: true, force: true });
  for (const [path, contents] of project.files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
  return dir;
}
