import { describe, expect, it } from 'vitest';
import { promqlMetricNames } from '../../src/verify/readers/metrics.js';
import {
  declarationOf,
  exportedNames,
  importsOf,
  isReferenced,
  reachableFrom,
  routes,
  stringConstants,
  stripComments,
} from '../../src/verify/readers/source.js';

describe('stripComments', () => {
  it('blanks comments but keeps strings, template literals, regexes and line numbers', () => {
    const source = [
      "const a = 'not // a comment'; // app.use(origin())",
      '/* app.use(',
      '   auth()) */ const re = /^https?:\\/\\//; const t = `x ${"//"} y`;',
      'const d = 4 / 2; // tail',
    ].join('\n');
    const out = stripComments(source);
    expect(out.split('\n')).toHaveLength(4);
    expect(out).toContain("'not // a comment'");
    expect(out).not.toContain('app.use(origin())');
    expect(out).not.toContain('auth())');
    expect(out).toContain('/^https?:\\/\\//');
    expect(out).toContain('`x ${"//"} y`');
    expect(out).toContain('4 / 2;');
    expect(out).not.toContain('tail');
  });
});

describe('imports and references', () => {
  const app = stripComments(
    [
      "import { Hono } from 'hono';",
      "import { originGuard, type OriginOptions } from './middleware/origin.js';",
      "import * as limits from './middleware/rate-limit.js';",
      "import { auth } from './middleware/auth.js';",
      '// app.use(auth())',
      'app.use(originGuard({ allowed: [] }));',
      'app.use(limits.rateLimit());',
    ].join('\n'),
  );

  it('reads the local names an import binds', () => {
    expect(importsOf(app, (specifier) => specifier === './middleware/origin.js')[0]?.names).toEqual(['originGuard']);
    expect(importsOf(app, (specifier) => specifier.endsWith('rate-limit.js'))[0]?.names).toEqual(['limits']);
  });

  it('does not count an import or a comment as a use', () => {
    expect(isReferenced(app, 'originGuard')).toBe(true);
    expect(isReferenced(app, 'limits')).toBe(true);
    expect(isReferenced(app, 'auth')).toBe(false);
  });

  it('lists exports', () => {
    expect(
      exportedNames('export function a() {}\nexport const b = 1;\nconst c = 2; export { c as d };').sort(),
    ).toEqual(['a', 'b', 'd']);
  });
});

describe('routes', () => {
  it('finds literal routes with their handlers', () => {
    const found = routes([
      {
        file: 'src/app.ts',
        code: "app.get('/health', (c) => c.json({ ok: true }));\napp.on(['GET', 'HEAD'], '/ready', ready);\napp.post('/mcp', mcp);",
      },
    ]);
    expect(found.map((route) => `${route.method} ${route.path} ${route.line}`)).toEqual([
      'get /health 1',
      'on /ready 2',
      'post /mcp 3',
    ]);
    expect(found[0]?.handler).toContain('c.json({ ok: true })');
  });
});

describe('promqlMetricNames', () => {
  it('reads metric names, not functions, labels, durations or keywords', () => {
    const expr =
      'sum by (tool) (rate(mcp_tool_calls_total{status="error", tool=~"a|b"}[5m])) / ignoring(status) sum(rate(mcp_tool_calls_total[5m])) > 0.05 and on() up == 1 or histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m] offset 1h)) by (le)) > 2e0';
    expect(promqlMetricNames(expr).sort()).toEqual([
      'http_request_duration_seconds_bucket',
      'mcp_tool_calls_total',
      'up',
    ]);
  });

  it('handles absent() and bare metrics', () => {
    expect(promqlMetricNames('absent(up{job="mcp"}) or process_resident_memory_bytes > 5e8')).toEqual([
      'up',
      'process_resident_memory_bytes',
    ]);
  });
});

describe('constants and declarations', () => {
  it('reads string constants and literal members of constant objects', () => {
    const constants = stringConstants(
      "export const NAME = 'mcp_up';\nexport const METRIC_NAMES = {\n  calls: 'mcp_calls_total',\n  'odd-key': \"x\",\n} as const;\n",
    );
    expect(constants.get('NAME')).toBe('mcp_up');
    expect(constants.get('METRIC_NAMES.calls')).toBe('mcp_calls_total');
    expect(constants.get('METRIC_NAMES.odd-key')).toBe('x');
  });

  it('returns the initialiser of a declaration', () => {
    expect(declarationOf("const PATHS = ['a', ['b']];\nconst X = 1;", 'PATHS')).toBe("'a', ['b']");
    expect(declarationOf('const X = 1 + 2;', 'X')).toBe('1 + 2');
    expect(declarationOf('const Y = 1;', 'X')).toBeUndefined();
  });
});

describe('reachableFrom', () => {
  it('follows static and dynamic imports but not type-only ones', () => {
    const files = [
      { file: 'src/index.ts', code: "import { start } from './start.js';\nimport type { T } from './types.js';" },
      {
        file: 'src/start.ts',
        code: "const { setup } = await import('./observability/tracing.js');\nexport { x } from './lib/index.js';",
      },
      { file: 'src/observability/tracing.ts', code: "import { y } from '../lib/y.js';" },
      { file: 'src/lib/y.ts', code: '' },
      { file: 'src/lib/index.ts', code: '' },
      { file: 'src/types.ts', code: '' },
      { file: 'src/unused.ts', code: '' },
    ];
    expect([...reachableFrom(files, 'src/index.ts')].sort()).toEqual([
      'src/index.ts',
      'src/lib/index.ts',
      'src/lib/y.ts',
      'src/observability/tracing.ts',
      'src/start.ts',
    ]);
  });
});
