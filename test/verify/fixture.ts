import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toBlueprint } from '../../src/core/blueprint.js';
import { generatorRef } from '../../src/core/tool-info.js';
import { checklistFor } from '../../src/core/checklist.js';
import type { AuthMode, DeployTarget, PatternId, SessionMode, StoreId } from '../../src/core/ids.js';
import { MANIFEST_FILE, type Manifest } from '../../src/core/manifest.js';
import { PATTERNS } from '../../src/core/patterns.js';
import { PATTERN_REGISTRY, patternFor } from '../../src/patterns/index.js';
import { render } from '../../src/render/render.js';
import { loadTemplates } from '../../src/render/templates.js';
import { writeProject } from '../../src/render/writer.js';

export interface ProjectOptions {
  pattern?: PatternId;
  store?: StoreId;
  sessionMode?: SessionMode;
  authMode?: AuthMode;
  deploy?: DeployTarget[];
  /**
   * Materialise only the base files under the requested pattern's manifest, as for a pattern
   * this version does not generate: for tests that build a pattern's files by hand.
   */
  baseOnly?: boolean;
  /** Fields to override in `mcp-arch.json` after it is built. */
  manifest?: Partial<Omit<Manifest, 'start'>> & { start?: Partial<Manifest['start']> };
}

/** A materialised project in a temp dir, with helpers to break it one thing at a time. */
export interface Project {
  dir: string;
  manifest: Manifest;
  read(rel: string): Promise<string>;
  write(rel: string, text: string): Promise<void>;
  /** Rewrites a file; throws when the edit changes nothing, so a test never "breaks" a project by accident. */
  edit(rel: string, change: (text: string) => string): Promise<void>;
  remove(rel: string): Promise<void>;
  writeManifest(manifest: Manifest): Promise<void>;
  cleanup(): Promise<void>;
}

type GeneratedOptions = Parameters<typeof toBlueprint>[0];

/** Read once: every fixture renders the same shipped templates. */
const templates = loadTemplates();

/**
 * Materialises a generated project with the generator itself (blueprint, render, writer): the
 * real project of the requested pattern when this version generates it (with the requested
 * store, modes and deploy targets where the pattern supports them, its defaults otherwise),
 * then records the requested pattern, store and modes in its `mcp-arch.json`. Patterns this
 * version does not generate get the single server's base files, which is what their checks
 * must judge.
 */
export async function makeProject(options: ProjectOptions = {}): Promise<Project> {
  const pattern = options.pattern ?? 'single';
  const catalog = PATTERNS[pattern];
  const deploy = options.deploy ?? [...catalog.defaultDeploy];
  const store = options.store ?? catalog.stores[0] ?? 'memory';
  const sessionMode = options.sessionMode ?? catalog.sessionModes[0] ?? 'stateless';
  const authMode = options.authMode ?? 'apikey';
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-arch-verify-'));

  const support = options.baseOnly ? undefined : PATTERN_REGISTRY.get(pattern);
  const generated: GeneratedOptions = support
    ? {
        name: 'verify-fixture',
        pattern,
        store: support.stores.includes(store) ? store : (support.stores[0] as StoreId),
        sessionMode: catalog.sessionModes.includes(sessionMode)
          ? sessionMode
          : (catalog.sessionModes[0] as SessionMode),
        protocol: 'dual',
        authMode,
        deploy: deploy.filter((target) => support.deploy.includes(target)),
      }
    : {
        name: 'verify-fixture',
        pattern: 'single',
        store: 'memory',
        sessionMode,
        protocol: 'dual',
        authMode,
        deploy: deploy.filter((target) => target === 'docker'),
      };
  const blueprint = toBlueprint(generated, templates.catalog, generatorRef());
  await writeProject(dir, render(blueprint, templates));

  const manifest: Manifest = {
    ...blueprint.manifest,
    pattern,
    store,
    sessionMode,
    authMode,
    deploy,
    checks: checklistFor(pattern).map((item) => item.id),
    // What the requested pattern's definition says of these options, whatever files were materialised.
    instances: patternFor(pattern).instances({
      name: 'verify-fixture',
      pattern,
      store,
      sessionMode,
      protocol: 'dual',
      authMode,
      deploy,
    }),
    requiredFiles: [...patternFor(pattern).requiredFiles],
    ...options.manifest,
  } as Manifest;
  if (options.manifest?.start) manifest.start = { ...blueprint.manifest.start, ...options.manifest.start };
  await writeFile(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);

  const resolve = (rel: string) => path.join(dir, rel);
  const project: Project = {
    dir,
    manifest,
    read: (rel) => readFile(resolve(rel), 'utf8'),
    async write(rel, text) {
      await mkdir(path.dirname(resolve(rel)), { recursive: true });
      await writeFile(resolve(rel), text);
    },
    async edit(rel, change) {
      const before = await readFile(resolve(rel), 'utf8');
      const after = change(before);
      if (after === before)
        throw new Error(`edit of ${rel} changed nothing: the fixture no longer matches the templates`);
      await writeFile(resolve(rel), after);
    },
    remove: (rel) => rm(resolve(rel), { recursive: true, force: false }),
    async writeManifest(next) {
      project.manifest = next;
      await writeFile(path.join(dir, MANIFEST_FILE), `${JSON.stringify(next, null, 2)}\n`);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  return project;
}
