import { describe, expect, it } from 'vitest';
import { colorEnabled } from '../../src/cli/io.js';
import { REPORT_FORMATS, formatReport, verify } from '../../src/verify/index.js';
import { makeProject } from './fixture.js';
import { sampleReport } from './sample-report.js';

const ANSI = /\u001b\[/;

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** A strict little XML reader: throws on unbalanced tags, bad attributes or bare `&`/`<`. */
function parseXml(source: string): XmlElement {
  let i = 0;
  const text = source.replace(/^<\?xml[^?]*\?>\s*/, '');
  const decode = (raw: string) => {
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(raw)) throw new Error(`bare & in ${raw}`);
    if (raw.includes('<')) throw new Error(`bare < in ${raw}`);
    return raw
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  };
  const element = (): XmlElement => {
    const open = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"]*")*)\s*(\/?)>/.exec(text.slice(i));
    if (!open) throw new Error(`expected a tag at ${i}: ${text.slice(i, i + 40)}`);
    i += open[0].length;
    const attributes: Record<string, string> = {};
    for (const match of (open[2] as string).matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g))
      attributes[match[1] as string] = decode(match[2] as string);
    const node: XmlElement = { name: open[1] as string, attributes, children: [], text: '' };
    if (open[3]) return node;
    for (;;) {
      const next = text.indexOf('<', i);
      if (next < 0) throw new Error(`unclosed <${node.name}>`);
      node.text += decode(text.slice(i, next));
      i = next;
      if (text.startsWith(`</${node.name}>`, i)) {
        i += node.name.length + 3;
        return node;
      }
      if (text.startsWith('</', i))
        throw new Error(`mismatched close at ${i}: ${text.slice(i, i + 30)} in <${node.name}>`);
      node.children.push(element());
    }
  };
  const root = element();
  if (text.slice(i).trim() !== '') throw new Error('content after the root element');
  return root;
}

describe('formatReport', () => {
  it('lists the formats of the public contract', () => {
    expect(REPORT_FORMATS).toEqual(['pretty', 'json', 'junit', 'markdown', 'sarif', 'html']);
  });

  it('renders every format without colour escapes unless asked', () => {
    for (const format of REPORT_FORMATS)
      expect(formatReport(sampleReport(), format, { color: false }), format).not.toMatch(ANSI);
  });
});

describe('pretty', () => {
  it('groups by category with scores, symbols, findings and fixes', () => {
    const out = formatReport(sampleReport(), 'pretty', { color: false });
    const security = out.indexOf('Security');
    expect(out.indexOf('Pre-deployment')).toBeLessThan(security);
    expect(out.slice(security, out.indexOf('\n', security))).toContain('25%');
    expect(out).toContain('✖ Origin validation configured [security.origin-validation]');
    expect(out).toContain('.env.example:7 ALLOWED_ORIGINS in .env.example allows any origin');
    expect(out).toContain('fix: List the exact origins');
    expect(out).toContain('– TLS/HTTPS enabled');
    expect(out).toMatch(/1 passed.*1 failed.*1 warn.*1 manual.*1 skip.*2 n\/a/);
  });

  it('decides colour from the terminal, NO_COLOR and FORCE_COLOR', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
  });

  it('has no ANSI escapes under NO_COLOR even where chalk would colour', () => {
    const color = colorEnabled({ isTTY: true }, { NO_COLOR: '1' });
    expect(formatReport(sampleReport(), 'pretty', { color })).not.toMatch(ANSI);
  });

  it('colours only when told to', () => {
    const coloured = formatReport(sampleReport(), 'pretty', { color: true });
    expect(coloured).toMatch(ANSI);
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(formatReport(sampleReport(), 'pretty', { color: false }));
  });
});

describe('json', () => {
  it('is the versioned report', () => {
    const parsed = JSON.parse(formatReport(sampleReport(), 'json')) as Record<string, unknown>;
    expect(parsed.schemaVersion).toBe(1);
    expect(Object.keys(parsed)).toEqual(
      expect.arrayContaining(['tool', 'project', 'startedAt', 'durationMs', 'results', 'summary']),
    );
    expect((parsed.results as { id: string }[]).map((result) => result.id)).toContain('security.tls');
  });
});

describe('junit', () => {
  it('is well-formed XML with suites per category and escaped text', () => {
    const root = parseXml(formatReport(sampleReport(), 'junit'));
    expect(root.name).toBe('testsuites');
    expect(root.attributes).toMatchObject({ tests: '7', failures: '1', skipped: '4' });
    expect(root.children.map((suite) => suite.attributes.name)).toEqual([
      'pre-deployment',
      'security',
      'observability',
      'resilience',
    ]);
    const security = root.children[1] as XmlElement;
    expect(security.attributes).toMatchObject({ tests: '3', failures: '1', skipped: '1' });
    const failing = security.children.find((testcase) =>
      testcase.attributes.name?.startsWith('security.origin-validation'),
    ) as XmlElement;
    const failure = failing.children.find((child) => child.name === 'failure') as XmlElement;
    expect(failure.attributes.message).toBe('ALLOWED_ORIGINS is <*> & "anything" | goes');
    expect(failure.attributes.type).toBe('critical');
    expect(failure.text).toContain('.env.example:7: ALLOWED_ORIGINS in .env.example allows any origin (*) & <script>');
    const skipped = security.children.find((testcase) =>
      testcase.attributes.name?.startsWith('security.tls'),
    ) as XmlElement;
    expect(skipped.children.map((child) => child.name)).toEqual(['skipped']);
  });

  it('drops characters XML cannot carry', () => {
    expect(formatReport(sampleReport(), 'junit')).not.toContain('\u0001');
  });
});

describe('markdown', () => {
  it('has a category table and one row per check with pipes escaped', () => {
    const out = formatReport(sampleReport(), 'markdown');
    expect(out).toContain('| Category | Score | Pass | Fail | Warn |');
    expect(out).toContain('| security | 25% (2 of 2 ran) | 0 | 1 | 1 |');
    const rows = out.split('\n').filter((line) => line.startsWith('| ') && line.includes('`'));
    expect(rows).toHaveLength(7);
    expect(out).toContain('ALLOWED_ORIGINS is &lt;*&gt; &amp; "anything" \\| goes');
    expect(out).toContain('<details>');
  });
});

describe('sarif', () => {
  it('is SARIF 2.1.0 with rules and located results for failed and warned findings', () => {
    const sarif = JSON.parse(formatReport(sampleReport(), 'sarif')) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string }[] } };
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region?: { startLine: number } };
          }[];
        }[];
        originalUriBaseIds: Record<string, { uri: string }>;
      }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const [run] = sarif.runs;
    expect(run?.tool.driver.rules.map((rule) => rule.id)).toContain('security.origin-validation');
    expect(run?.results).toHaveLength(2);
    const [origin, rate] = run?.results ?? [];
    expect(origin).toMatchObject({ ruleId: 'security.origin-validation', level: 'error' });
    expect(origin?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: '.env.example', uriBaseId: '%SRCROOT%' },
      region: { startLine: 7 },
    });
    expect(run?.tool.driver.rules[origin?.ruleIndex ?? -1]?.id).toBe('security.origin-validation');
    expect(rate).toMatchObject({ ruleId: 'security.rate-limiting', level: 'warning' });
    expect(rate?.locations[0]?.physicalLocation.region?.startLine).toBe(12);
    expect(run?.originalUriBaseIds['%SRCROOT%']?.uri).toBe('file:///tmp/my%20app/');
  });

  it('leaves out manual, n/a and unlocated findings', () => {
    const out = formatReport(sampleReport(), 'sarif');
    expect(out).not.toContain('CHECKLIST.md');
    expect(out).not.toContain('No Host header validation');
  });
});

describe('reports of a real run', () => {
  it('point SARIF results at the offending line of a broken project', async () => {
    const project = await makeProject();
    try {
      await project.edit('.env.example', (text) => text.replace(/^ALLOWED_ORIGINS=.*$/m, 'ALLOWED_ORIGINS=*'));
      const expectedLine = (await project.read('.env.example')).split('\n').indexOf('ALLOWED_ORIGINS=*') + 1;
      const report = await verify({ dir: project.dir });
      const sarif = JSON.parse(formatReport(report, 'sarif')) as {
        runs: {
          results: {
            ruleId: string;
            locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[];
          }[];
        }[];
      };
      const origin = sarif.runs[0]?.results.find((result) => result.ruleId === 'security.origin-validation');
      expect(origin?.locations[0]?.physicalLocation).toEqual({
        artifactLocation: { uri: '.env.example', uriBaseId: '%SRCROOT%' },
        region: { startLine: expectedLine },
      });
      expect(parseXml(formatReport(report, 'junit')).attributes.failures).toBe('1');
      expect(formatReport(report, 'markdown')).toContain('❌ fail | `security.origin-validation`');
      expect(JSON.parse(formatReport(report, 'json'))).toEqual(JSON.parse(JSON.stringify(report)));
    } finally {
      await project.cleanup();
    }
  });
});
