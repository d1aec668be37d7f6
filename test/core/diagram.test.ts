import { describe, expect, it } from 'vitest';
import { mermaidFor as drawn } from '../../src/core/diagram.js';
import { PATTERN_IDS } from '../../src/core/ids.js';
import type { ProjectOptions } from '../../src/core/options.js';
import { patternFor } from '../../src/patterns/index.js';

const mermaidFor = (options: ProjectOptions, components: readonly string[], composeServices?: string) =>
  drawn(patternFor(options.pattern), options, components, composeServices);

const base: ProjectOptions = {
  name: 'demo',
  pattern: 'single',
  store: 'memory',
  deploy: ['docker'],
  authMode: 'apikey',
  sessionMode: 'stateless',
  protocol: 'dual',
};

/** Node ids a diagram defines with a label: `id["..."]`, `id[("...")]`, or `subgraph id["..."]`. */
function labelledIds(diagram: string): Map<string, Set<string>> {
  const labels = new Map<string, Set<string>>();
  for (const match of diagram.matchAll(/(?:subgraph )?\b([a-zA-Z][\w]*)\[\(?"([^"]*)"/g)) {
    const set = labels.get(match[1]!) ?? new Set<string>();
    set.add(match[2]!);
    labels.set(match[1]!, set);
  }
  return labels;
}

describe('mermaidFor', () => {
  it('draws the generated system of each pattern', () => {
    const expected: Record<(typeof PATTERN_IDS)[number], RegExp[]> = {
      single: [/MCP server: tools/],
      gateway: [/stdio backends/, /circuit breaker/, /HTTP backends/],
      'multi-server': [/agent CLI/, /mcp-servers\.json/, /MCP over stdio/],
      'load-balanced': [/no cookie affinity/, /replica 3/, /rebuilds a session/],
      serverless: [/AWS Lambda/, /JSON responses/],
      'multi-region': [/regions\.json/, /failover: new session/, /CockroachDB/],
    };
    for (const pattern of PATTERN_IDS) {
      const store = pattern === 'multi-region' ? 'database' : pattern === 'load-balanced' ? 'redis' : 'memory';
      const deploy: ProjectOptions['deploy'] = pattern === 'serverless' ? ['lambda'] : ['docker'];
      const diagram = mermaidFor({ ...base, pattern, store, deploy }, ['base', ...deploy]);
      expect(diagram.startsWith('flowchart LR\n'), pattern).toBe(true);
      for (const wanted of expected[pattern]) expect(diagram, pattern).toMatch(wanted);
      // One id, one label: Mermaid would otherwise draw whichever came last.
      for (const [id, labels] of labelledIds(diagram)) expect(labels.size, `${pattern}: ${id}`).toBe(1);
    }
  });

  it('shows the credential and the deploy targets actually chosen', () => {
    expect(mermaidFor({ ...base, authMode: 'jwt' }, ['base'])).toContain('(MCP 2026-07-28 + 2025, JWT)');
    expect(mermaidFor({ ...base, protocol: 'modern' }, ['base'])).toContain(
      '"Streamable HTTP /mcp (MCP 2026-07-28, API key)"',
    );
    expect(mermaidFor({ ...base, authMode: 'none' }, ['base'])).not.toMatch(/API key|JWT/);
    expect(mermaidFor(base, ['base'])).not.toContain('Docker image');
    expect(
      mermaidFor(
        { ...base, pattern: 'load-balanced', store: 'redis' },
        ['base', 'docker', 'compose', 'k8s'],
        'Redis, 3 replicas, nginx',
      ),
    ).toMatch(/docker compose: Redis, 3 replicas, nginx[\s\S]*Kubernetes/);
    const both = mermaidFor({ ...base, pattern: 'serverless', deploy: ['lambda', 'vercel'], authMode: 'jwt' }, [
      'base',
    ]);
    expect(both).toMatch(/AWS Lambda[\s\S]*Vercel function/);
    expect(both).toContain('JWKS');
  });
});
