import { dirname, isAbsolute, resolve } from 'node:path';
import { loadServersConfig, SEPARATOR, type ServerConfig, type ServersConfig } from '../aggregate/index.js';

/**
 * Reads the servers file. A stdio server without its own `cwd` runs in the file's folder, so
 * relative paths in `args` and `env` mean the same whatever folder the agent is started from.
 */
export async function loadAgentServers(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ServersConfig> {
  const config = await loadServersConfig(file, env);
  const folder = dirname(resolve(file));
  return {
    ...config,
    servers: config.servers.map((server) => {
      if (server.target.transport !== 'stdio') return server;
      const cwd = server.target.cwd === undefined ? folder : isAbsolute(server.target.cwd) ? server.target.cwd : resolve(folder, server.target.cwd);
      return { ...server, target: { ...server.target, cwd } };
    }),
  };
}

/**
 * The server a namespaced name belongs to, by its prefix (`<prefix>__<name>`); the longest
 * prefix wins, and a server with an empty prefix takes what no other prefix claims.
 */
export function serverOf(name: string, servers: readonly ServerConfig[]): ServerConfig | undefined {
  const prefixed = servers
    .filter((server) => server.prefix !== '' && name.startsWith(`${server.prefix}${SEPARATOR}`))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  return prefixed[0] ?? servers.find((server) => server.prefix === '' && server.enabled);
}
