#!/usr/bin/env node
// Gateway overhead: the same tool calls straight to a backend and through the gateway, in one run.
//
//   npm run bench:gateway [-- --dir <generated gateway project>] [--calls 2000] [--concurrency 16]
//
// Without --dir a gateway project is generated, installed and built in a temporary folder. The
// backend is the project's example HTTP backend; the gateway runs `node dist/index.js` with that
// one backend and an empty prefix, so both sides serve the same tool names. Everything is on
// 127.0.0.1. Prints p50/p99 latency (sequential calls) and throughput (concurrent calls) for both,
// and the ratios. Targets: the gateway adds under 1 ms at p50 and keeps >= 80% of the throughput.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { dir: { type: 'string' }, calls: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '16' }, rounds: { type: 'string', default: '3' } } });
const CALLS = Number(values.calls);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

/** Generated projects need Node >= 22.13: the one the e2e tests cache (installed on demand). */
function node24() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 13)) return process.execPath;
  const prefix = process.env.MCP_ARCH_NODE_CACHE ? join(process.env.MCP_ARCH_NODE_CACHE, '24') : join(root, '.cache', 'node', '24');
  const bin = join(prefix, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bin)) execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', 'node@24'], { stdio: 'inherit' });
  return bin;
}

const node = node24();
const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` };
let work;
let dir = values.dir && resolve(values.dir);
if (!dir) {
  work = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  dir = join(work, 'gw');
  console.error('generating, installing and building a gateway project ...');
  execFileSync(process.execPath, [join(root, 'bin', 'mcp-arch.js'), 'generate', 'gw', '--pattern', 'gateway', '--yes', '--no-install', '--no-git'], { cwd: work, stdio: 'ignore' });
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env, stdio: 'inherit' });
}
if (!existsSync(join(dir, 'dist', 'index.js')) || !values.dir) execFileSync('npm', ['run', 'build'], { cwd: dir, env, stdio: 'ignore' });

const children = [];
function startProcess(args, extraEnv, ready) {
  const child = spawn(node, args, { cwd: dir, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolveStart, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const found = ready(out);
      if (found) resolveStart(found);
    });
    child.once('exit', (code) => stopping || reject(new Error(`${args.join(' ')} exited with ${code}: ${out.slice(-500)}`)));
  });
}
function freePort() {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}
async function waitForHealth(url) {
  for (let i = 0; i < 600; i++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become ready`);
}
let stopping = false;
function stopAll() {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}
process.on('exit', stopAll);

try {
  const backendPort = await startProcess(['examples/backends/http-backend.mjs'], { PORT: '0', BACKEND_NAME: 'bench' }, (out) => /listening (\d+)/.exec(out)?.[1]);
  const config = join(dir, 'bench.gateway.json');
  writeFileSync(config, JSON.stringify({ mcpServers: { bench: { url: `http://127.0.0.1:${backendPort}/mcp`, prefix: '' } } }));
  const gatewayPort = await freePort();
  // LOG_LEVEL=warn: per-request access logs are an operator's choice, not the gateway's cost.
  const gatewayExit = startProcess(['dist/index.js'], {
    PORT: String(gatewayPort), HOST: '127.0.0.1', AUTH_MODE: 'none', RATE_LIMIT_RPS: '0', LOG_LEVEL: 'warn', SESSION_MODE: 'stateful', ENV_FILE: '', GATEWAY_CONFIG: config,
  }, () => undefined);
  gatewayExit.catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
  await waitForHealth(`http://127.0.0.1:${gatewayPort}/ready`);
  const targets = { direct: `http://127.0.0.1:${backendPort}/mcp`, gateway: `http://127.0.0.1:${gatewayPort}/mcp` };

  const connect = async (url) => {
    const client = new Client({ name: 'bench', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    return client;
  };
  const call = (client, i) => client.callTool({ name: 'echo', arguments: { text: `call ${i}` } });

  async function latency(url) {
    const client = await connect(url);
    for (let i = 0; i < 200; i++) await call(client, i);
    const samples = [];
    for (let i = 0; i < CALLS; i++) {
      const started = performance.now();
      await call(client, i);
      samples.push(performance.now() - started);
    }
    await client.close();
    samples.sort((a, b) => a - b);
    return { p50: samples[Math.floor(samples.length * 0.5)], p99: samples[Math.floor(samples.length * 0.99)] };
  }

  async function throughput(url) {
    const clients = await Promise.all(Array.from({ length: CONCURRENCY }, () => connect(url)));
    await Promise.all(clients.map((client) => call(client, 0)));
    let next = 0;
    const total = CALLS * 2;
    const started = performance.now();
    await Promise.all(clients.map(async (client) => {
      while (next < total) await call(client, next++);
    }));
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(clients.map((client) => client.close()));
    return total / seconds;
  }

  // Rounds alternate direct and gateway so drift (CPU frequency, GC) hits both alike; the median round counts.
  const results = { direct: [], gateway: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of ['direct', 'gateway']) {
      const { p50, p99 } = await latency(targets[side]);
      const rps = await throughput(targets[side]);
      results[side].push({ p50, p99, rps });
    }
  }
  const median = (list, key) => list.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const row = (side) => ({ p50: median(results[side], 'p50'), p99: median(results[side], 'p99'), rps: median(results[side], 'rps') });
  const direct = row('direct');
  const gateway = row('gateway');
  const fmt = (n, d = 3) => n.toFixed(d).padStart(10);
  console.log(`\ngateway benchmark: tools/call echo, ${CALLS} sequential calls (latency), ${CALLS * 2} calls over ${CONCURRENCY} sessions (throughput), median of ${ROUNDS} rounds, node ${execFileSync(node, ['--version']).toString().trim()}\n`);
  console.log(`${''.padEnd(12)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'calls/s'.padStart(10)}`);
  console.log(`${'direct'.padEnd(12)}${fmt(direct.p50)}${fmt(direct.p99)}${fmt(direct.rps, 0)}`);
  console.log(`${'gateway'.padEnd(12)}${fmt(gateway.p50)}${fmt(gateway.p99)}${fmt(gateway.rps, 0)}`);
  console.log(`${'gateway/dir'.padEnd(12)}${fmt(gateway.p50 / direct.p50, 2)}x${fmt(gateway.p99 / direct.p99, 2).slice(1)}x${fmt((gateway.rps / direct.rps) * 100, 1).slice(1)}%`);
  const added = gateway.p50 - direct.p50;
  const kept = gateway.rps / direct.rps;
  console.log(`\nadded p50: ${added.toFixed(3)} ms (target < 1 ms: ${added < 1 ? 'met' : 'NOT met'}); throughput kept: ${(kept * 100).toFixed(1)}% (target >= 80%: ${kept >= 0.8 ? 'met' : 'NOT met'})`);
} finally {
  stopAll();
  if (work) rmSync(work, { recursive: true, force: true });
}
