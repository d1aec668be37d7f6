import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCompatible } from '../core/compat.js';
import { EXIT, UserError } from '../core/errors.js';
import { AUTH_MODES, DEPLOY_TARGETS, isOneOf, PROTOCOL_POSTURES, STORE_IDS } from '../core/ids.js';
import { MANIFEST_FILE } from '../core/manifest.js';
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

function oneOf<T extends string>(list: readonly T[], value: string, what: string): T {
  if (!isOneOf(list, value))
    throw new UserError(`Unknown ${what} ${JSON.stringify(value)}. Use one of: ${list.join(', ')}.`, EXIT.usage);
  return value;
}

/**
 * The options after adding a store, deploy target, auth mode or protocol posture, checked by the
 * same rules as generation. Undefined when the project has it already.
 */
export function optionsWith(options: PatternOptions, feature: Feature, value: string): PatternOptions | undefined {
  let next: PatternOptions;
  if (feature === 'store') next = { ...options, store: oneOf(STORE_IDS, value, 'store') };
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
  const next = { ...options, pattern, store: nextStore, sessionMode, deploy };
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

/** regions.json with one more region (its MCP URL: `url`, or the example domain's, to edit). */
export async function addRegion(
  dir: string,
  pattern: string,
  name: string,
  url: string | undefined,
): Promise<{ change: FileChange; notes: string[] }> {
  const file = configFileFor('region', pattern);
  if (!NAME.test(name)) throw new UserError(`Region name ${JSON.stringify(name)}: use letters, digits, - and _.`);
  const { data } = await readConfig(dir, file);
  const regions = data.regions;
  if (!Array.isArray(regions)) throw new UserError(`${file} has no "regions" list; fix it, then retry.`);
  if (regions.some((region) => (region as { name?: unknown })?.name === name))
    throw new UserError(`${file} already has a region named ${name}.`);
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
  return { change: { path: file, action: 'update', contents: serialise(next), conflicts: 0 }, notes };
}
