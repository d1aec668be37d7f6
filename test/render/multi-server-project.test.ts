import { describe, expect, it } from 'vitest';
import type { ProjectOptions } from '../../src/core/options.js';
import { renderProject } from './rendered.js';

/** The multi-server project as files: what the end-to-end test then runs for real. */
const options: ProjectOptions = {
  name: 'agg',
  pattern: 'multi-server',
  store: 'memory',
  deploy: ['docker'],
  authMode: 'apikey',
  sessionMode: 'stateless',
  protocol: 'dual',
};
const { blueprint, file } = renderProject(options);

interface ServerEntry {
  url?: string;
  headers?: Record<string, string>;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  enabled?: boolean;
}

describe('generated multi-server project', () => {
  it('is built from the base, the aggregation core and the multi-server component', () => {
    expect(blueprint.components.slice(0, 3)).toEqual(['base', 'aggregation', 'multi-server']);
    expect(JSON.parse(file('mcp-arch.json'))).toMatchObject({
      pattern: 'multi-server',
      components: expect.arrayContaining(['aggregation', 'multi-server']),
    });
    for (const path of ['src/index.ts', 'src/app.ts', 'src/aggregate/index.ts', 'src/agent.ts', 'src/agent/cli.ts'])
      file(path);
  });

  it('has an mcp-servers.json in the mcpServers shape with HTTP and stdio servers whose programs the build produces', () => {
    const { mcpServers } = JSON.parse(file('mcp-servers.json')) as { mcpServers: Record<string, ServerEntry> };
    const entries = Object.entries(mcpServers);
    const http = entries.filter(([, s]) => s.url !== undefined && s.enabled !== false);
    const stdio = entries.filter(([, s]) => s.command !== undefined && s.enabled !== false);
    expect(http.length).toBeGreaterThanOrEqual(1);
    expect(stdio.length).toBeGreaterThanOrEqual(1);
    for (const [name, server] of entries) {
      expect(name).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
      expect(server.url === undefined).not.toBe(server.command === undefined);
      if (server.url) expect(new URL(server.url).hostname).toBe('127.0.0.1');
    }
    for (const [, server] of stdio) {
      expect(server.command).toBe('node');
      const program = server.args?.find((arg) => arg.startsWith('dist/'));
      expect(program).toBeDefined();
      // dist/x.js is compiled from src/x.ts.
      file(program!.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'));
    }
    // No credential is written into the file: secrets come from ${VARIABLES}.
    expect(file('mcp-servers.json')).not.toMatch(/Bearer [A-Za-z0-9]{8,}/);
  });

  it('has scripts for the agent and the HTTP example server, pointing at compiled entry points', () => {
    const pkg = JSON.parse(file('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.agent).toBe('node dist/agent.js');
    expect(pkg.scripts['server:units']).toBe('node dist/servers/units/main.js');
    file('src/servers/units/main.ts');
    expect(file('.env.example')).toMatch(/^UNITS_PORT=3101$/m);
    expect(file('src/servers/units/main.ts')).toMatch(/UNITS_PORT/);
  });

  it('registers every example tool with a zod input schema and annotations', () => {
    const sources = ['units', 'notes', 'text'].map((server) => file(`src/servers/${server}/server.ts`));
    const tools = sources.flatMap((source) => [
      ...source.matchAll(/registerTool\(\s*'([a-z_]+)',\s*\{([\s\S]*?)\n    \},/g),
    ]);
    expect(tools.map((m) => m[1]).sort()).toEqual([
      'add_note',
      'convert',
      'delete_note',
      'extract_urls',
      'list_units',
      'search_notes',
      'slugify',
      'word_count',
    ]);
    for (const [, name, body] of tools) {
      expect(body, name).toMatch(/inputSchema: /);
      expect(body, name).toMatch(/annotations: /);
    }
  });

  it('documents the servers, the config file and the agent commands in the README, naming only real tools', () => {
    const readme = file('README.md');
    expect(readme).toMatch(/^## Multi-server aggregation$/m);
    for (const command of ['npm run agent -- list', 'npm run agent -- status', 'npm run server:units'])
      expect(readme).toContain(command);
    const sources = ['units', 'notes', 'text'].map((server) => file(`src/servers/${server}/server.ts`)).join('\n');
    const called = [...readme.matchAll(/agent -- call (\w+)__(\w+)/g)];
    expect(called.length).toBeGreaterThanOrEqual(3);
    for (const [, server, tool] of called) {
      expect(sources, `${server}__${tool}`).toContain(`'${tool}'`);
      expect(file('mcp-servers.json')).toContain(`"${server}"`);
    }
    expect(readme).toContain('http://127.0.0.1:3000/mcp');
  });

  it('tests the pattern with real servers in the project suite', () => {
    expect(file('test/multi-server.test.ts')).toMatch(/startUnits/);
    expect(file('test/agent.test.ts')).toMatch(/units\.kill\(\)/);
  });
});
