import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCompatible } from '../core/compat.js';
import { EXIT, UserError } from '../core/errors.js';
import { AUTH_MODES, DEPLOY_TARGETS, isOneOf, PROTOCOL_POSTURES, STORE_IDS } from '../core/ids.js';
import { MANIFEST_FILE } from '../core/manifest.js';
import { REGION_NAME, regionOverlayPath } from '../components/multi-region.js';
import { TRACING_TARGETS } from '../components/tracing.js';
import { toBlueprint } from '../core/blueprint.js';
import { generatorRef } from '../core/tool-info.js';
import { render, type RenderedFile } from '../render/render.js';
import type { TemplateSet } from '../render/templates.js';
import { exists } from '../render/writer.js';
import { patternFor, type PatternOptions } from '../patterns/index.js';
import type { Feature } from './ids.js';
import type { FileChange } from './plan.js';

/** Where a backend or a region is written, per pattern: the file its code reads. */
export const CONFIG_FILES: Readonly<Record<'backend' | 'region', Readonly<Record<string, string>>>> = {
  backend: { gateway: 'gateway.config.json', 'multi-server': 'mcp-servers.json' },
  region: { 'multi-region': 'regions.json' },
};

/** A backend to add: reached over HTTP (`url`) or started over stdio (`command` and `args`). */
export interface BackendSpec {
  url?: string;
  command?: string;
  args?: string[];
}

const NAME = /^[a-z0-9][a-z0-9_-]*$/i;

/** What `add <feature>` takes as its value, for the error when it is missing. */
export function valueHelp(feature: Feature): string {
  if (feature === 'store') return `one of ${STORE_IDS.join(', ')}`;
  if (feature === 'deploy') return `one of ${DEPLOY_TARGETS.join(', ')}`;
  if (feature === 'auth') return `one of ${AUTH_MODES.join(', ')}`;
  if (feature === 'protocol') return `one of ${PROTOCOL_POSTURES.join(', ')}`;
  if (feature === 'backend') return 'its name, e.g. mcp-arch add backend docs --url http://127.0.0.1:4100/mcp';
  if (feature === 'region') return 'its name, e.g. mcp-arch add region eu-central';
  return 'none';
}

function oneOf<T extends string>(list: readonly T[], value: string, what: string): T {
  if (!isOneOf(list, value))
    throw new UserError(`Unknown ${what} ${JSON.stringify(value)}. Use one of: ${list.join(', ')}.`, EXIT.usage);
  return value;
}

/**
 * The options after adding a store, deploy target, auth mode, protocol posture or deployed
 * tracing, checked by the same rules as generation. Undefined when the project has it already.
 */
export function optionsWith(
  options: PatternOptions,
  feature: Feature,
  value: string | undefined,
): PatternOptions | undefined {
  let next: PatternOptions;
  if (feature === 'tracing') {
    if (value !== undefined)
      throw new UserError(
        `add tracing takes no value (got ${JSON.stringify(value)}): run mcp-arch add tracing.`,
        EXIT.usage,
      );
    next = { ...options, tracing: true };
  } else if (value === undefined)
    throw new UserError(`add ${feature} needs a value: ${valueHelp(feature)}.`, EXIT.usage);
  else if (feature === 'store') next = { ...options, store: oneOf(STORE_IDS, value, 'store') };
  else if (feature === 'deploy') {
    const target = oneOf(DEPLOY_TARGETS, value, 'deploy target');
    if (options.deploy.includes(target)) return undefined;
    next = { ...options, deploy: [...options.deploy, target] };
  } else if (feature === 'auth') next = { ...options, authMode: oneOf(AUTH_MODES, value, 'auth mode') };
  else if (feature === 'protocol') next = { ...options, protocol: oneOf(PROTOCOL_POSTURES, value, 'protocol posture') };
  else throw new Error(`${feature} is not an option of the generator`);
  if (JSON.stringify(next) === JSON.stringify(options)) return undefined;
  assertCompatible(next);
  return next;
}

/**
 * The options after moving to another pattern. The store is kept when the new pattern offers it
 * (else `--store` must say which); the session mode falls back to the pattern's default when it
 * does not offer the current one; the deploy targets are the kept ones plus the pattern's
 * defaults. The result is checked as generation checks it.
 */
export function migratedOptions(
  options: PatternOptions,
  pattern: string,
  store: string | undefined,
): { options: PatternOptions; notes: string[] } {
  const definition = patternFor(pattern);
  const notes: string[] = [];
  let nextStore = options.store;
  if (store !== undefined) nextStore = oneOf(STORE_IDS, store, 'store');
  else if (!definition.stores.includes(options.store))
    throw new UserError(
      `The ${pattern} pattern does not use the ${options.store} store. Pass --store with one of: ${definition.stores.join(', ')}.`,
      EXIT.usage,
    );
  let sessionMode = options.sessionMode;
  if (!definition.sessionModes.includes(sessionMode)) {
    sessionMode = definition.sessionModes[0]!;
    notes.push(`The ${pattern} pattern does not offer ${options.sessionMode} sessions: it runs ${sessionMode}.`);
  }
  // The targets the new pattern generates by default (what `generate` would give it) join the ones
  // it shares with the old; a target it does not deploy to is left behind (its files go unless you
  // changed them), as is Kubernetes with the memory store, which cannot serve its replicas.
  const kept = options.deploy.filter((target) => definition.deploy.includes(target));
  const deploy = [...new Set([...kept, ...definition.defaultDeploy])].filter(
    (target) => !(target === 'k8s' && nextStore === 'memory'),
  );
  const dropped = options.deploy.filter((target) => !deploy.includes(target));
  const added = deploy.filter((target) => !options.deploy.includes(target));
  if (dropped.length > 0)
    notes.push(`The ${pattern} pattern does not deploy here with ${dropped.join(', ')}: left out.`);
  if (added.length > 0) notes.push(`The ${pattern} pattern deploys with ${added.join(', ')} as well: added.`);
  let next: PatternOptions = { ...options, pattern, store: nextStore, sessionMode, deploy };
  if (next.tracing && !deploy.some((target) => (TRACING_TARGETS as readonly string[]).includes(target))) {
    const { tracing: _dropped, ...rest } = next;
    next = rest;
    notes.push(
      `The ${pattern} pattern has no long-running deploy target (${TRACING_TARGETS.join(', ')}) for a collector: deployed tracing is left out. Set OTEL_EXPORTER_OTLP_ENDPOINT to your collector where it runs.`,
    );
  }
  assertCompatible(next);
  return { options: next, notes };
}

async function readConfig(dir: string, file: string): Promise<{ text: string; data: Record<string, unknown> }> {
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch {
    throw new UserError(`${file} is missing in ${dir}; the pattern reads it. Restore it, then retry.`, EXIT.usage);
  }
  try {
    const data = JSON.parse(text) as unknown;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('not an object');
    return { text, data: data as Record<string, unknown> };
  } catch (error) {
    throw new UserError(`${file} is not a JSON object (${(error as Error).message}); fix it, then retry.`, EXIT.usage);
  }
}

function configFileFor(feature: 'backend' | 'region', pattern: string): string {
  const file = CONFIG_FILES[feature][pattern];
  if (file === undefined)
    throw new UserError(
      `add ${feature} fits the ${Object.keys(CONFIG_FILES[feature]).join(' and ')} pattern${Object.keys(CONFIG_FILES[feature]).length > 1 ? 's' : ''}; this project is ${pattern} (${MANIFEST_FILE}).` +
        (feature === 'backend' ? ' To put a gateway in front, run mcp-arch migrate --pattern gateway.' : ''),
      EXIT.usage,
    );
  return file;
}

const serialise = (data: unknown) => `${JSON.stringify(data, null, 2)}\n`;

/** The servers file with one more backend, in the `mcpServers` shape both patterns read. */
export async function addBackend(dir: string, pattern: string, name: string, spec: BackendSpec): Promise<FileChange> {
  const file = configFileFor('backend', pattern);
  if (!NAME.test(name))
    throw new UserError(
      `Backend name ${JSON.stringify(name)}: use letters, digits, - and _ (it becomes the tools' namespace).`,
    );
  if ((spec.url === undefined) === (spec.command === undefined))
    throw new UserError('add backend needs exactly one of --url <url> (HTTP) or --command <cmd> (stdio).');
  if (spec.url !== undefined) {
    if (spec.args && spec.args.length > 0) throw new UserError('--arg goes with --command, not with --url.');
    let url: URL;
    try {
      url = new URL(spec.url);
    } catch {
      throw new UserError(`--url ${JSON.stringify(spec.url)} is not a URL; e.g. http://127.0.0.1:4100/mcp.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UserError(`--url ${spec.url}: use an http:// or https:// URL.`);
  }
  const { data } = await readConfig(dir, file);
  const servers = data.mcpServers;
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers))
    throw new UserError(`${file} has no "mcpServers" object; fix it, then retry.`);
  if (name in servers)
    throw new UserError(`${file} already has a backend named ${name}; choose another name or edit it there.`);
  const entry = spec.url !== undefined ? { url: spec.url } : { command: spec.command, args: spec.args ?? [] };
  const next = { ...data, mcpServers: { ...servers, [name]: entry } };
  return { path: file, action: 'update', contents: serialise(next), conflicts: 0 };
}

/**
 * The partial every region's overlay is rendered from (`templates/k8s-regions` calls it once per
 * generated region), called here for one more.
 */
const OVERLAY_CALL = (region: string) => `{{> k8s-region-overlay region="${region}"}}\n`;

/** The overlay a generated region gets, rendered for `region` with the project's options. */
export function regionOverlay(options: PatternOptions, templates: TemplateSet, region: string): RenderedFile {
  const template = 'evolve/region-overlay.hbs';
  const files = new Map(templates.files);
  files.set(template, { contents: Buffer.from(OVERLAY_CALL(region)), executable: false });
  const blueprint = toBlueprint(options, templates.catalog, generatorRef());
  const [file] = render(
    { ...blueprint, files: [{ destination: regionOverlayPath(region), kind: 'template', template, render: true }] },
    { ...templates, files },
  );
  return file!;
}

/**
 * regions.json with one more region (its MCP URL: `url`, or the example domain's, to edit) and,
 * when the project deploys to Kubernetes, the region's kustomize overlay as a generated region has.
 */
export async function addRegion(
  dir: string,
  options: PatternOptions,
  name: string,
  url: string | undefined,
  templates: () => TemplateSet,
): Promise<{ changes: FileChange[]; notes: string[] }> {
  const file = configFileFor('region', options.pattern);
  if (!REGION_NAME.test(name))
    throw new UserError(
      `Region name ${JSON.stringify(name)}: use lowercase letters, digits and - (it names the Kubernetes overlay, the host and REGION), e.g. eu-central.`,
    );
  const { data } = await readConfig(dir, file);
  const regions = data.regions;
  if (!Array.isArray(regions)) throw new UserError(`${file} has no "regions" list; fix it, then retry.`);
  if (regions.some((region) => (region as { name?: unknown })?.name === name))
    throw new UserError(`${file} already has a region named ${name}.`);
  const overlay = options.deploy.includes('k8s') ? regionOverlayPath(name) : undefined;
  if (overlay !== undefined && (await exists(join(dir, overlay))))
    throw new UserError(`${overlay} exists already; move it away or choose another region name.`);
  const notes: string[] = [];
  const address = url ?? `https://${name}.mcp.example.com/mcp`;
  if (url === undefined) notes.push(`${file}: ${name} is at ${address}; set its real URL there (or pass --url).`);
  else {
    try {
      new URL(url);
    } catch {
      throw new UserError(`--url ${JSON.stringify(url)} is not a URL; e.g. https://${name}.example.com/mcp.`);
    }
  }
  const next = { ...data, regions: [...regions, { name, url: address }] };
  const changes: FileChange[] = [{ path: file, action: 'update', contents: serialise(next), conflicts: 0 }];
  if (overlay !== undefined) {
    const rendered = regionOverlay(options, templates(), name);
    changes.push({ path: rendered.path, action: 'create', contents: rendered.contents, conflicts: 0 });
    notes.push(
      `${overlay}: kubectl --context <${name} cluster> apply -k ${overlay.replace(/\/kustomization\.yaml$/, '')}`,
    );
  }
  return { changes, notes };
}
