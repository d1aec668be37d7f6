#!/usr/bin/env node
// Cold start and warm invocation time of the generated serverless project's Lambda handler.
//
//   npm run bench:coldstart                      # generates, installs and builds a project first
//   npm run bench:coldstart -- --dir <project>   # an installed serverless project (built here)
//   npm run bench:coldstart -- --era legacy      # a 2025-era request instead of a 2026-07-28 one
//
// Cold start: a fresh Node process imports the built handler named by template.yaml and answers
// one API Gateway event (tools/call); timed from just before the import to the response, and
// from spawning the process. Warm: further invocations in one process. Medians; the table shows
// ratios to the warm invocation, because absolute times drift between machines and runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { nodeBinDir } from './node-runtime.mjs';

const root = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: { dir: { type: 'string' }, runs: { type: 'string' }, warm: { type: 'string' }, era: { type: 'string' } },
});
const runs = Number(args.runs ?? process.env.BENCH_RUNS ?? 9);
const warmInvocations = Number(args.warm ?? 200);
const API_KEY = 'bench-key-0123456789abcdef';
const era = args.era ?? 'modern';
if (era !== 'modern' && era !== 'legacy') throw new Error(`--era: expected modern or legacy, got ${era}`);

/**
 * The recorded tools/call event as the era sends it: the fixture is a 2025-era request; a
 * 2026-07-28 one carries its version, client info and capabilities in _meta and matching headers.
 */
function eventFor(event) {
  const headers = { ...event.headers, authorization: `Bearer ${API_KEY}` };
  if (era === 'legacy') return { ...event, headers };
  const message = JSON.parse(event.body);
  message.params._meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const body = JSON.stringify(message);
  return {
    ...event,
    body,
    headers: {
      ...headers,
      'content-length': String(Buffer.byteLength(body)),
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': message.method,
      'mcp-name': message.params.name,
    },
  };
}

/** Node 24, as the project runs on Lambda (nodejs22.x or newer); fetched once as the e2e tests do. */
const bin = await nodeBinDir(24);
const node = join(bin, 'node');
const nodeEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, CI: 'true', NO_COLOR: '1' };
const work = mkdtempSync(join(tmpdir(), 'bench-coldstart-'));

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const summary = (label, values) => ({
  label,
  median: median(values),
  min: Math.min(...values),
  max: Math.max(...values),
  n: values.length,
});

function prepare() {
  if (args.dir) return resolve(args.dir);
  const app = join(work, 'app');
  console.error('generating and installing a serverless project ...');
  execFileSync(
    process.execPath,
    [
      join(root, 'bin', 'mcp-arch.js'),
      'generate',
      'app',
      '--pattern',
      'serverless',
      '--deploy',
      'lambda',
      '--yes',
      '--no-install',
      '--no-git',
    ],
    { cwd: work, env: nodeEnv, stdio: 'ignore' },
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: app,
    env: nodeEnv,
    stdio: 'ignore',
  });
  return app;
}

/** The built file and export that template.yaml's `Handler: dist/lambda.handler` names. */
function handlerOf(app) {
  const handler = readFileSync(join(app, 'template.yaml'), 'utf8').match(/^\s+Handler:\s*(\S+)\s*$/m)?.[1];
  if (!handler) throw new Error(`${app}/template.yaml names no Handler`);
  const dot = handler.lastIndexOf('.');
  return { file: join(app, `${handler.slice(0, dot)}.js`), name: handler.slice(dot + 1) };
}

// Runs in the fresh process: import, first invocation, then warm invocations; one JSON line at the end.
const RUNNER = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const bootMs = performance.now();
const [file, name, eventFile, warm] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const context = (i) => ({ awsRequestId: 'bench-' + i, getRemainingTimeInMillis: () => 29000 });
const t0 = performance.now();
const module = await import(pathToFileURL(file).href);
const imported = performance.now();
const first = await module[name](event, context(0));
const answered = performance.now();
if (first.statusCode !== 200) throw new Error('first response: ' + first.statusCode + ' ' + first.body);
const warmMs = [];
for (let i = 1; i <= Number(warm); i++) {
  const started = performance.now();
  const result = await module[name](event, context(i));
  warmMs.push(performance.now() - started);
  if (result.statusCode !== 200) throw new Error('warm response: ' + result.statusCode);
}
process.stdout.write('\\n' + JSON.stringify({ bootMs, importMs: imported - t0, firstMs: answered - t0, warmMs }) + '\\n');
`;

try {
  const app = prepare();
  console.error('building ...');
  execFileSync('npm', ['run', 'build'], { cwd: app, env: nodeEnv, stdio: 'ignore' });
  const { file, name } = handlerOf(app);
  const runner = join(work, 'runner.mjs');
  writeFileSync(runner, RUNNER);
  const event = JSON.parse(readFileSync(join(app, 'test', 'fixtures', 'http-api-tools-call.json'), 'utf8'));
  const eventFile = join(work, 'event.json');
  writeFileSync(eventFile, JSON.stringify(eventFor(event)));
  const env = {
    ...nodeEnv,
    AUTH_MODE: 'apikey',
    API_KEYS: API_KEY,
    FUNCTION_TIMEOUT_SECONDS: '29',
    LOG_LEVEL: 'info',
    RATE_LIMIT_RPS: '100000',
  };

  const measure = (warm) => {
    const started = process.hrtime.bigint();
    const result = spawnSync(node, [runner, file, name, eventFile, String(warm)], {
      cwd: app,
      env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`handler process exited ${result.status}: ${result.stderr}`);
    return { wallMs, ...JSON.parse(result.stdout.trim().split('\n').at(-1)) };
  };

  const baseline = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    spawnSync(node, ['-e', '0'], { stdio: 'ignore' });
    baseline.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const cold = Array.from({ length: runs }, () => measure(0));
  const warm = measure(warmInvocations).warmMs;

  const warmMedian = median(warm);
  const rows = [
    summary('node -e 0: process start and exit (baseline)', baseline),
    summary(
      'cold: import the built handler',
      cold.map((r) => r.importMs),
    ),
    summary(
      'cold: import + first response',
      cold.map((r) => r.firstMs),
    ),
    summary(
      'cold: spawn -> first response -> exit (wall)',
      cold.map((r) => r.wallMs),
    ),
    summary(`warm: one invocation (${warmInvocations} in one process)`, warm),
  ];
  const table = [
    [
      `measure (tools/call, ${era === 'modern' ? 'MCP 2026-07-28' : 'MCP 2025'}, API Gateway v2 event)`,
      'median',
      'min',
      'max',
      'runs',
      'x warm',
    ],
    ...rows.map((r) => [
      r.label,
      `${r.median.toFixed(2)} ms`,
      `${r.min.toFixed(2)} ms`,
      `${r.max.toFixed(2)} ms`,
      String(r.n),
      (r.median / warmMedian).toFixed(1),
    ]),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  console.log(
    `node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}, handler ${file.slice(app.length + 1)}#${name}, ${runs} cold processes`,
  );
  for (const [i, row] of table.entries()) {
    console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`);
    if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
