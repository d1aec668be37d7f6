import type { ProjectOptions } from '../core/options.js';
import type { Component, EnvVar } from './types.js';

/**
 * A project's variables, each declared once by the component whose code reads it (a later
 * declaration of the same name wins), with the values this project was generated with: the
 * chosen modes as `.env.example` values. Every variable has its `example`: the value
 * `.env.example` shows (unless it is a secret).
 */
export function projectEnv(
  components: readonly Component[],
  options: Pick<ProjectOptions, 'authMode' | 'sessionMode' | 'protocol'>,
): Array<EnvVar & { example: string }> {
  const generated: Record<string, Partial<EnvVar>> = {
    AUTH_MODE: { example: options.authMode },
    SESSION_MODE: { example: options.sessionMode },
    // The posture is a security choice: unset, the server keeps the one it was generated with.
    MCP_PROTOCOL: { default: options.protocol, example: options.protocol },
  };
  const seen = new Map<string, EnvVar & { example: string }>();
  for (const component of components) {
    for (const variable of component.env ?? []) {
      const declared = { ...variable, ...generated[variable.name] };
      seen.set(variable.name, { ...declared, example: declared.example ?? declared.default });
    }
  }
  return [...seen.values()];
}

/**
 * The variables a user must set before the project starts with the settings of its
 * `.env.example` (e.g. the JWT_* variables when it says AUTH_MODE=jwt).
 */
export function requiredEnv(env: readonly EnvVar[]): EnvVar[] {
  const values = new Map(env.map((variable) => [variable.name, variable.example ?? variable.default]));
  return env.filter(
    (variable) =>
      variable.requiredWhen !== undefined &&
      Object.entries(variable.requiredWhen).every(([name, value]) => values.get(name) === value),
  );
}

/** A field of the configuration schema rendered into the generated `src/config.ts`. */
export interface SchemaField {
  name: string;
  /** The zod expression, its built-in default included. */
  zod: string;
}

/**
 * The fields of the generated configuration schema, from the declarations that carry one: the
 * declared default becomes the schema's default, parsed like a set value (`prefault`), so
 * what the README calls the default is what the code does.
 */
export function configSchema(env: readonly EnvVar[]): SchemaField[] {
  return env.flatMap((variable) =>
    variable.schema === undefined
      ? []
      : [
          {
            name: variable.name,
            zod:
              variable.default === ''
                ? `${variable.schema}.optional()`
                : `${variable.schema}.prefault(${quoted(variable.default)})`,
          },
        ],
  );
}

/** A TypeScript string literal in the generated code's style. */
function quoted(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
