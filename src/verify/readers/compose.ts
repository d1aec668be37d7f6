import { parseDocument } from 'yaml';
import type { StaticContext } from '../check.js';
import { isRecord } from './records.js';

export const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'] as const;

export interface ComposeFile {
  file: string;
  body: Record<string, unknown>;
  services: Record<string, Record<string, unknown>>;
}

/** The Compose file, or `undefined` when there is none. Throws when it does not parse. */
export async function composeFile(ctx: StaticContext): Promise<ComposeFile | undefined> {
  for (const file of COMPOSE_FILES) {
    const text = await ctx.readFile(file);
    if (text === undefined) continue;
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new Error(`${file} does not parse: ${doc.errors[0]?.message ?? 'YAML error'}`);
    const body = doc.toJS() as unknown;
    const record = isRecord(body) ? body : {};
    const services: Record<string, Record<string, unknown>> = {};
    if (isRecord(record.services)) {
      for (const [name, service] of Object.entries(record.services)) if (isRecord(service)) services[name] = service;
    }
    return { file, body: record, services };
  }
  return undefined;
}

/** Compose services that run this project (built from its own Dockerfile). */
export function appServices(compose: ComposeFile): [string, Record<string, unknown>][] {
  return Object.entries(compose.services).filter(([, service]) => {
    const build = service.build;
    if (typeof build === 'string') return build === '.' || build === './';
    if (isRecord(build)) return build.context === undefined || build.context === '.' || build.context === './';
    return false;
  });
}

/**
 * How many instances of one program the Compose file runs. Services built from the project
 * that run the same command are replicas; services with different commands (several example
 * servers, a worker) are different programs and do not add up.
 */
export function composeInstances(compose: ComposeFile): number {
  const byCommand = new Map<string, number>();
  for (const [, service] of appServices(compose)) {
    const deploy = isRecord(service.deploy) ? service.deploy : {};
    const count =
      typeof deploy.replicas === 'number' ? deploy.replicas : typeof service.scale === 'number' ? service.scale : 1;
    const key = JSON.stringify([service.command ?? null, service.entrypoint ?? null]);
    byCommand.set(key, (byCommand.get(key) ?? 0) + count);
  }
  return Math.max(0, ...byCommand.values());
}
