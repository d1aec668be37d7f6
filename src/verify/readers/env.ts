import type { StaticContext } from '../check.js';
import { composeFile } from './compose.js';
import { k8sObjects } from './k8s.js';
import { dig, isRecord } from './records.js';

export const ENV_EXAMPLE = '.env.example';

export interface EnvEntry {
  value: string;
  line: number;
}

/** `.env.example` as name -> value, or `undefined` when the file is missing. */
export async function envExample(ctx: StaticContext): Promise<Map<string, EnvEntry> | undefined> {
  const text = await ctx.readFile(ENV_EXAMPLE);
  if (text === undefined) return undefined;
  const out = new Map<string, EnvEntry>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(raw);
    if (!match) return;
    let value = (match[2] as string).trim();
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2] as string;
    else value = value.replace(/\s+#.*$/, '');
    out.set(match[1] as string, { value, line: index + 1 });
  });
  return out;
}

/** Values a deployed environment sets for a variable: Kubernetes ConfigMaps and env lists, Compose environments. */
export async function configuredValues(
  ctx: StaticContext,
  name: string,
): Promise<{ file: string; line?: number; value: string }[]> {
  const out: { file: string; line?: number; value: string }[] = [];
  for (const object of await k8sObjects(ctx)) {
    if (object.kind === 'ConfigMap') {
      const value = dig(object.body, 'data', name);
      if (typeof value === 'string') out.push({ file: object.file, line: object.line, value });
    }
    const containers = dig(object.body, 'spec', 'template', 'spec', 'containers');
    if (Array.isArray(containers)) {
      for (const container of containers) {
        const envList = dig(container, 'env');
        if (!Array.isArray(envList)) continue;
        for (const entry of envList) {
          if (isRecord(entry) && entry.name === name && typeof entry.value === 'string')
            out.push({ file: object.file, line: object.line, value: entry.value });
        }
      }
    }
  }
  const compose = await composeFile(ctx);
  for (const service of Object.values(compose?.services ?? {})) {
    const environment = service.environment;
    let value: unknown;
    if (isRecord(environment)) value = environment[name];
    else if (Array.isArray(environment)) {
      const entry = environment.find((line) => typeof line === 'string' && line.startsWith(`${name}=`));
      value = typeof entry === 'string' ? entry.slice(name.length + 1) : undefined;
    }
    if (typeof value === 'string' && compose) out.push({ file: compose.file, value });
  }
  return out;
}
