import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mermaidFor } from '../../src/core/diagram.js';
import { PATTERN_REGISTRY } from '../../src/patterns/index.js';
import { formatReport } from '../../src/verify/index.js';
import { flowchartSvg, parseFlowchart } from '../../src/verify/reporters/flowchart.js';
import { esc } from '../../src/verify/reporters/html.js';
import type { VerifyReport } from '../../src/verify/report.js';
import { sampleReport } from './sample-report.js';

const INJECTED = '<script>alert("x")</script><img src=x onerror=alert(1)>';

/** The sample with markup in every text a check or project can carry. */
function hostileReport(): VerifyReport {
  const report = sampleReport();
  report.project = { ...report.project, name: `app${INJECTED}` };
  report.results = report.results.map((result) =>
    result.id === 'security.origin-validation'
      ? {
          ...result,
          title: `Origin ${INJECTED}`,
          summary: `summary ${INJECTED}`,
          findings: result.findings.map((finding) => ({
            ...finding,
            message: `${finding.message} ${INJECTED}`,
            remediation: `${finding.remediation} ${INJECTED}`,
            ...(finding.file ? { file: `src/${INJECTED}.ts` } : {}),
          })),
          severity: 'low',
          severityOverride: { from: 'critical', file: `cfg${INJECTED}.json` },
        }
      : result,
  );
  return report;
}

const DIAGRAM = [
  'flowchart LR',
  `  client["MCP <client> & co"] -->|"Streamable HTTP /mcp"| server`,
  '  subgraph server["my-app"]',
  '    direction TB',
  '    guard["Origin + Host check"] --> mcp["MCP server: tools"]',
  '  end',
  '  a["A"] & b["B"] -->|"shared"| store[("Redis: sessions")]',
  '  server -.->|"OTLP traces"| otel["OpenTelemetry collector"]',
].join('\n');

describe('html report', () => {
  const html = formatReport(hostileReport(), 'html', { diagram: DIAGRAM });

  it('is one self-contained page: no script, no network, a CSP that allows only its own style', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import|url\((?!#)/i);
    // No attribute that loads or runs anything (attribute values, escaped text, left out).
    for (const [tag] of html.matchAll(/<[a-z][^>]*>/gi))
      expect(tag.replace(/"[^"]*"/g, '""')).not.toMatch(/\s(src|href|on\w+)=/i);
    // The only URL is the SVG namespace, which is a name, not a fetch.
    expect(html.match(/https?:\/\/[^\s"<]+/g)).toEqual(['http://www.w3.org/2000/svg']);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-${hash}'; img-src data:">`,
    );
  });

  it('escapes every text from the report: markup in a check never becomes markup', () => {
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<title>mcp-arch verify: app&lt;script&gt;');
    expect(html).toContain('allows any origin (*) &amp; &lt;script&gt;');
    expect(html).toContain('MCP &lt;client&gt; &amp; co');
    expect(esc(`<a href='x'>&"`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&quot;');
  });

  it('shows every check with its status in words, its evidence and its fix', () => {
    for (const result of sampleReport().results) expect(html).toContain(`id="check-${result.id}"`);
    expect(html).toMatch(
      /<article class="check status-fail" id="check-security\.origin-validation" data-status="fail">\n<div><span class="badge">✖ FAIL<\/span>/,
    );
    expect(html).toContain('<span class="badge">✔ PASS</span>');
    expect(html).toContain('<span class="badge">▲ WARN</span>');
    expect(html).toContain('<span class="badge">– N/A</span>');
    expect(html).toContain('<span class="badge">? MANUAL</span>');
    expect(html).toContain('<span class="badge">○ SKIP</span>');
    expect(html).toContain('<code>src/&lt;script&gt;');
    expect(html).toMatch(/\.ts:7<\/code>/);
    expect(html).toContain('<strong>Fix:</strong> List the exact origins in ALLOWED_ORIGINS');
    // What needs attention comes before the scores and the rest.
    expect(html.indexOf('id="check-security.origin-validation"')).toBeLessThan(html.indexOf('id="scores"'));
    expect(html.indexOf('id="scores"')).toBeLessThan(html.indexOf('id="check-pre-deployment.architecture-pattern"'));
  });

  it('marks an overridden severity', () => {
    expect(html).toContain(
      '<span class="tag overridden">severity low (overridden by cfg&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;.json; checklist: critical)</span>',
    );
  });

  it('gives every category score with its coverage, and the overall one', () => {
    expect(html).toContain('<tr><th scope="row">security</th><td class="num">25%</td><td class="num">2 of 2 ran</td>');
    expect(html).toContain(
      '<tr><th scope="row">observability</th><td class="num">not scored</td><td class="num">0 of 1 ran</td>',
    );
    expect(html).toContain('Overall score: <strong>50%</strong> (3 of 5 checks ran)');
  });

  it('draws the topology as inline SVG from the Mermaid text, which it also keeps as text', () => {
    const svg = /<svg class="flowchart"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    for (const label of ['Streamable HTTP /mcp', 'my-app', 'Origin + Host check', 'OTLP traces', 'Redis: sessions'])
      expect(svg).toContain(label);
    expect(html).toContain('<details><summary>The diagram as Mermaid');
    expect(formatReport(sampleReport(), 'html')).toContain('This version cannot draw the single pattern');
  });
});

describe('the flowchart', () => {
  it('reads nodes, subgraphs, chains, & groups and labelled or dotted edges', () => {
    const chart = parseFlowchart(DIAGRAM);
    expect(chart.subgraphs).toEqual([{ id: 'server', label: 'my-app', children: ['guard', 'mcp'] }]);
    expect(chart.nodes.find((node) => node.id === 'store')).toEqual({
      id: 'store',
      label: 'Redis: sessions',
      shape: 'store',
    });
    expect(chart.nodes.find((node) => node.id === 'guard')?.parent).toBe('server');
    expect(chart.edges).toEqual([
      { from: 'client', to: 'server', label: 'Streamable HTTP /mcp', dotted: false },
      { from: 'guard', to: 'mcp', dotted: false },
      { from: 'a', to: 'store', label: 'shared', dotted: false },
      { from: 'b', to: 'store', label: 'shared', dotted: false },
      { from: 'server', to: 'otel', label: 'OTLP traces', dotted: true },
    ]);
  });

  it.each([...PATTERN_REGISTRY.values()].map((definition) => [definition.id, definition] as const))(
    'draws every node and edge label of the %s pattern',
    (_, definition) => {
      const options = {
        name: 'demo',
        pattern: definition.id,
        store: definition.stores[0] ?? 'memory',
        deploy: [...definition.defaultDeploy],
        authMode: 'apikey' as const,
        sessionMode: definition.sessionModes[0] ?? 'stateless',
        protocol: 'dual' as const,
      };
      const mermaid = mermaidFor(definition, options, ['docker', 'k8s']);
      const chart = parseFlowchart(mermaid);
      // Every line of the chart but the header and the subgraph frames becomes part of the graph.
      const statements = mermaid.split('\n').filter((line) => /-->|-\.->/.test(line));
      expect(chart.edges.length).toBeGreaterThanOrEqual(statements.length);
      const svg = flowchartSvg(chart, esc, 'demo');
      for (const node of chart.nodes)
        for (const word of node.label.split(/\s+/)) expect(svg, node.id).toContain(esc(word));
      for (const edge of chart.edges)
        for (const word of (edge.label ?? '').split(/\s+/)) expect(svg).toContain(esc(word));
      const [left, top, width, height] = (/viewBox="(-?[\d.]+) (-?[\d.]+) ([\d.]+) ([\d.]+)"/.exec(svg) ?? [])
        .slice(1)
        .map(Number) as [number, number, number, number];
      expect(width).toBeGreaterThan(200);
      // Nothing is drawn outside the picture.
      for (const match of svg.matchAll(/<rect x="(-?[\d.]+)" y="(-?[\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)) {
        const [x, y, w, h] = match.slice(1).map(Number) as [number, number, number, number];
        expect(x).toBeGreaterThanOrEqual(left);
        expect(y).toBeGreaterThanOrEqual(top);
        expect(x + w).toBeLessThanOrEqual(left + width);
        expect(y + h).toBeLessThanOrEqual(top + height);
      }
    },
  );
});
