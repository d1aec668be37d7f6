import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { base } from '../../src/components/base.js';
import { checklistFor } from '../../src/core/checklist.js';
import type { AuthMode, DeployTarget, PatternId, SessionMode, StoreId } from '../../src/core/ids.js';
import { MANIFEST_FILE, MANIFEST_SCHEMA_VERSION, type Manifest } from '../../src/core/manifest.js';
import { PATTERNS } from '../../src/core/patterns.js';
import { helpers } from '../../src/render/helpers.js';

const TEMPLATES = fileURLToPath(new URL('../../templates/', import.meta.url));
/** What trying a template folder out leaves behind; the generator skips these too. */
const LEFT_BY_TRYING_OUT = new Set(['node_modules', 'dist', 'package-lock.json', '.DS_Store', 'coverage']);

export interface ProjectOptions {
  pattern?: PatternId;
  store?: StoreId;
  sessionMode?: SessionMode;
  authMode?: AuthMode;
  deploy?: DeployTarget[];
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

/**
 * Materialises a generated project: `templates/base` plus the folder of each deploy target
 * that has one, rendered the way the generator renders them, and its `mcp-arch.json`.
 * This is the one place to switch to the real generator.
 */
export async function makeProject(options: ProjectOptions = {}): Promise<Project> {
  const pattern = options.pattern ?? 'single';
  const catalog = PATTERNS[pattern];
  const deploy = options.deploy ?? [...catalog.defaultDeploy];
  const store = options.store ?? catalog.stores[0] ?? 'memory';
  const sessionMode = options.sessionMode ?? catalog.sessionModes[0] ?? 'stateless';
  const authMode = options.authMode ?? 'apikey';
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-arch-verify-'));

  const variables = templateVariables({ pattern, store, sessionMode, authMode, deploy });
  const engine = Handlebars.create();
  await registerPartials(engine);
  for (const folder of ['base', ...deploy]) {
    const source = path.join(TEMPLATES, folder);
    if (existsSync(source)) await renderFolder(engine, source, dir, variables);
  }

  const manifest: Manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    generator: { name: 'create-mcp-arch', version: '0.1.0' },
    name: 'verify-fixture',
    pattern,
    store,
    sessionMode,
    authMode,
    deploy,
    components: ['base', ...deploy.filter((target) => existsSync(path.join(TEMPLATES, target)))],
    checks: checklistFor(pattern).map((item) => item.id),
    start: { command: 'npm start', portEnv: 'PORT', port: 3000, healthPath: '/health', readyPath: '/ready', metricsPath: '/metrics', mcpPath: '/mcp' },
    ...options.manifest,
  } as Manifest;
  if (options.manifest?.start) manifest.start = { ...manifest.start, ...options.manifest.start };
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
      if (after === before) throw new Error(`edit of ${rel} changed nothing: the fixture no longer matches the templates`);
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

/** The variables of docs/generated-project.md, with sample values. */
function templateVariables(choice: { pattern: PatternId; store: StoreId; sessionMode: SessionMode; authMode: AuthMode; deploy: DeployTarget[] }) {
  const catalog = PATTERNS[choice.pattern];
  const overrides: Record<string, string> = { AUTH_MODE: choice.authMode, SESSION_MODE: choice.sessionMode };
  return {
    name: 'verify-fixture',
    title: 'Verify Fixture',
    description: 'A project materialised to test mcp-arch verify.',
    pattern: choice.pattern,
    patternTitle: catalog.title,
    store: choice.store,
    sessionMode: choice.sessionMode,
    authMode: choice.authMode,
    port: 3000,
    deploy: { docker: false, compose: false, k8s: false, lambda: false, vercel: false, ...Object.fromEntries(choice.deploy.map((target) => [target, true])) },
    node: { engines: '>=22.13', ci: ['22', '24'], docker: '24' },
    generatorVersion: '0.1.0',
    mermaid: 'flowchart LR\n  client[Client] --> server[MCP server]',
    checklist: checklistFor(choice.pattern).map((item) => ({ id: item.id, title: item.title, category: item.category })),
    env: (base.env ?? []).map((variable) => ({ secret: false, ...variable, default: overrides[variable.name] ?? variable.default })),
  };
}

async function registerPartials(engine: typeof Handlebars): Promise<void> {
  engine.registerHelper(helpers);
  const folder = path.join(TEMPLATES, 'partials');
  if (!existsSync(folder)) return;
  for (const entry of await readdir(folder)) {
    if (entry.endsWith('.hbs')) engine.registerPartial(entry.slice(0, -4), await readFile(path.join(folder, entry), 'utf8'));
  }
}

async function renderFolder(engine: typeof Handlebars, source: string, target: string, variables: object): Promise<void> {
  for (const entry of await readdir(source, { withFileTypes: true })) {
    if (LEFT_BY_TRYING_OUT.has(entry.name)) continue;
    const from = path.join(source, entry.name);
    const name = entry.name.startsWith('_') ? `.${entry.name.slice(1)}` : entry.name;
    if (entry.isDirectory()) {
      await mkdir(path.join(target, name), { recursive: true });
      await renderFolder(engine, from, path.join(target, name), variables);
    } else if (name.endsWith('.hbs')) {
      const template = engine.compile(await readFile(from, 'utf8'), { strict: true, noEscape: true });
      await writeFile(path.join(target, name.slice(0, -4)), template(variables));
    } else {
      await writeFile(path.join(target, name), await readFile(from));
    }
  }
}
