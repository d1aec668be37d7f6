import type { StoreId } from '../../core/ids.js';
import { MANIFEST_FILE } from '../../core/manifest.js';
import { patternFor } from '../../patterns/index.js';
import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { ENV_EXAMPLE, envExample } from '../readers/env.js';
import { replicas } from '../readers/replicas.js';
import { findFirst, sources } from '../readers/source.js';

/** What the code must import for a store to be real rather than a name in the manifest. */
const STORE_CLIENTS: Record<Exclude<StoreId, 'memory'>, { label: string; pattern: RegExp }[]> = {
  redis: [{ label: 'a Redis client (redis or ioredis)', pattern: /from\s+['"](?:redis|ioredis|@redis\/client)['"]/ }],
  database: [{ label: 'a database driver (node:sqlite or pg)', pattern: /from\s+['"](?:node:sqlite|pg|postgres)['"]/ }],
  hybrid: [
    { label: 'a Redis client (redis or ioredis)', pattern: /from\s+['"](?:redis|ioredis|@redis\/client)['"]/ },
    { label: 'a database driver (node:sqlite or pg)', pattern: /from\s+['"](?:node:sqlite|pg|postgres)['"]/ },
  ],
};

export const preDeploymentSessionPersistence: Check = {
  item: checklistItem('pre-deployment.session-persistence'),
  async static(ctx) {
    const { manifest } = ctx;
    const pattern = patternFor(manifest.pattern);
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const storeLine = await ctx.lineOf(MANIFEST_FILE, '"store"');

    if (!pattern.stores.includes(manifest.store)) {
      failures.push({
        message: `The ${manifest.store} store does not fit the ${pattern.id} pattern (it supports ${pattern.stores.join(', ')})`,
        file: MANIFEST_FILE,
        line: storeLine,
        remediation: `Regenerate with --store ${pattern.stores[0]} (or another of ${pattern.stores.join(', ')}).`,
      });
    }
    if (!pattern.sessionModes.includes(manifest.sessionMode)) {
      failures.push({
        message: `${manifest.sessionMode} sessions do not fit the ${pattern.id} pattern (it supports ${pattern.sessionModes.join(', ')})`,
        file: MANIFEST_FILE,
        line: await ctx.lineOf(MANIFEST_FILE, '"sessionMode"'),
        remediation: `Set SESSION_MODE to ${pattern.sessionModes[0]} and "sessionMode" in ${MANIFEST_FILE} likewise, or regenerate the project.`,
      });
    }

    const instances = await replicas(ctx);
    const many = instances.max > 1;
    const why = instances.evidence.join('; ');
    if (many && manifest.store === 'memory') {
      // A stateless serverless function keeps nothing between invocations, so there is nothing to share.
      const statelessFunction = manifest.instances.perInvocation && manifest.sessionMode === 'stateless';
      if (!statelessFunction) {
        failures.push({
          message: `The memory store is per process but the project runs several instances (${why}): sessions and rate limits are not shared`,
          file: MANIFEST_FILE,
          line: storeLine,
          remediation: `Regenerate with a shared store (--store ${pattern.stores.find((store) => store !== 'memory') ?? 'redis'}), or run one instance.`,
        });
      }
    }

    if (many && manifest.sessionMode === 'stateful' && (manifest.store === 'database' || manifest.store === 'hybrid')) {
      const env = await envExample(ctx);
      const databaseUrl = env?.get('DATABASE_URL');
      if (!databaseUrl || !/^postgres(?:ql)?:\/\//.test(databaseUrl.value)) {
        warnings.push({
          message: `Stateful sessions across several instances need one shared database, but DATABASE_URL in ${ENV_EXAMPLE} is not a postgres URL (the embedded SQLite file is per instance)`,
          file: ENV_EXAMPLE,
          ...(databaseUrl ? { line: databaseUrl.line } : {}),
          remediation: `Set DATABASE_URL to a postgres:// URL in every deployed environment (${ENV_EXAMPLE}, the ConfigMap or the compose file).`,
        });
      }
    }

    const code = await sources(ctx);
    // The transport's session id generator is what makes a server stateful or stateless.
    if (!findFirst(code, /\bsessionIdGenerator\b/)) {
      failures.push({
        message: 'No MCP transport session setup (sessionIdGenerator) in src/: the session strategy is not implemented',
        file: 'src/mcp/transport.ts',
        remediation: `Create the Streamable HTTP transport in src/mcp/transport.ts with sessionIdGenerator: undefined for stateless mode, or a generator backed by the ${manifest.store} store for stateful mode.`,
      });
    }
    if (manifest.store !== 'memory') {
      for (const client of STORE_CLIENTS[manifest.store]) {
        if (!findFirst(code, client.pattern)) {
          failures.push({
            message: `The manifest names the ${manifest.store} store, but no source file imports ${client.label}`,
            file: 'src',
            remediation: `Wire the ${manifest.store} SessionStore implementation into the app (src/), or regenerate the project with --store ${manifest.store}.`,
          });
        }
      }
    }

    const count = many ? `several instances (${why})` : 'one instance';
    const lifetime =
      manifest.store === 'memory'
        ? 'sessions live and end with the process'
        : `sessions survive restarts in ${manifest.store}`;
    return conclude(`${manifest.store} store, ${manifest.sessionMode} sessions, ${count}: ${lifetime}`, {
      failures,
      warnings,
    });
  },
};
