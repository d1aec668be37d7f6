#!/usr/bin/env node
// Gateway overhead: the same tool calls straight to a backend and through the gateway, in one run.
//
//   npm run bench:gateway [-- --dir <generated gateway project>] [--calls 2000] [--concurrency 16] [--era both|legacy|modern]
//
// --era picks the protocol era of the benchmark's clients: `legacy` (2025, a session each),
// `modern` (2026-07-28, every request on its own), or `both` (the default: every table once per
// era, in one run, against the same processes).
//
// Without --dir a gateway project is generated, installed and built in a temporary folder. The
// backend is the project's example HTTP backend; the gateway runs `node dist/index.js` with that
// one backend and an empty prefix, so both sides serve the same tool names. Everything is on
// 127.0.0.1. Prints p50/p99 latency (sequential calls) and throughput (concurrent calls) for both,
// and the ratios. Targets: the gateway adds at most 0.5 ms at p50 and keeps >= 80% of the throughput.
//
// A second table puts the project's example stdio backend behind stdio-to-HTTP bridges: the
// gateway (a stdio backend, empty prefix), supergateway and mcp-proxy (both installed once into
// .cache/bridges from the npm registry, versions pinned below; --no-bridges leaves them out),
// against a client that speaks stdio to the same server directly. Every bridge keeps a process
// per client session, as the gateway does.
//
// Yardstick: where nginx is installed (NGINX_BIN, /usr/sbin/nginx; NGINX_BIN=none leaves it out), the same calls also go through
// a plain nginx reverse proxy to the same backend, the cost of one proxy hop that understands
// nothing of MCP. A second yardstick is the least a proxy written for Node does: node:http in
// and out (a kept-alive upstream agent, bodies piped through, no parsing, no middleware), on the
// same Node as the gateway; what the gateway costs beyond it is the price of what it understands.
// With --catalog N, the HTTP table has one side more: a gateway in front of four namespaced
// backends (the same backend process listed four times, prefixes c1..c4), each with N tools added
// to its catalog, the calls going to the last one's echo (c4__echo). Routing, listing caches and
// anything else that grows with the catalog shows there, against the gateway with one backend.
//
// On Linux the table also shows each server process's CPU time per call during
// the throughput runs (read from /proc), and the load generator's own (this process): the load
// generator, the backend and the proxy share the machine's cores, so a proxy's CPU per call is
// what its throughput ratio pays for. "by CPU" is the share of throughput a side would keep if
// the machine's cores were the only limit (the direct side's CPU per call, client and backend,
// against the side's, client, backend and proxy), and the line under the table turns the 80%
// target into the CPU per call a proxy may spend on this machine.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import os, { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { nodeBinDir } from './node-runtime.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    calls: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    era: { type: 'string', default: 'both' },
    bridges: { type: 'boolean', default: true },
    catalog: { type: 'string', default: '0' },
  },
  allowNegative: true,
});
if (!['both', 'legacy', 'modern'].includes(values.era))
  throw new Error(`--era must be both, legacy or modern, not ${values.era}`);
const ERAS = values.era === 'both' ? ['legacy', 'modern'] : [values.era];
/** The era of the clients measured now. */
let era = ERAS[0];
const CALLS = Number(values.calls);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const CATALOG = Number(values.catalog);
// The example backend lists 5 tools a page, and the SDK's clients read at most 64 pages of a list.
if (!Number.isInteger(CATALOG) || CATALOG < 0 || CATALOG > 300)
  throw new Error(
    `--catalog must be a whole number of tools per backend from 0 to 300 (the example backend's lists must fit in 64 pages of 5), not ${values.catalog}`,
  );

/** The stdio-to-HTTP bridges compared with the gateway, pinned: what a user would install today. */
const BRIDGES = { supergateway: '4.0.0', 'mcp-proxy': '6.7.19' };

/** The bridges' bins, installed once into .cache/bridges (no install scripts run). */
function bridgeBins() {
  const prefix = join(root, '.cache', 'bridges');
  const bin = (name) =>
    join(
      prefix,
      'node_modules',
      name,
      JSON.parse(readFileSync(join(prefix, 'node_modules', name, 'package.json'), 'utf8')).bin[name],
    );
  const installed = Object.entries(BRIDGES).every(([name, version]) => {
    try {
      return JSON.parse(readFileSync(join(prefix, 'node_modules', name, 'package.json'), 'utf8')).version === version;
    } catch {
      return false;
    }
  });
  if (!installed) {
    console.error(
      `installing ${Object.entries(BRIDGES)
        .map(([name, version]) => `${name}@${version}`)
        .join(', ')} into ${prefix} ...`,
    );
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--loglevel=error',
        ...Object.entries(BRIDGES).map(([name, version]) => `${name}@${version}`),
      ],
      { stdio: 'inherit' },
    );
  }
  return Object.fromEntries(Object.keys(BRIDGES).map((name) => [name, bin(name)]));
}

/** Generated projects need Node >= 22.13: Node 24, fetched once as the e2e tests do. */
const nodeBin = await nodeBinDir(24);
const node = join(nodeBin, 'node');
const env = { ...process.env, PATH: `${nodeBin}:${process.env.PATH}` };
const NGINX =
  process.env.NGINX_BIN === 'none'
    ? undefined
    : [process.env.NGINX_BIN, '/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((path) => path && existsSync(path));

/**
 * The plain Node reverse proxy of the yardstick (argv: its port, the backend's port): request
 * and response bodies piped through unread, hop-by-hop headers left to node:http.
 */
const PLAIN_NODE_PROXY = `
import { Agent, createServer, request } from 'node:http';
const [port, upstream] = process.argv.slice(-2).map(Number);
const agent = new Agent({ keepAlive: true });
createServer((req, res) => {
  const { connection, 'keep-alive': keepAlive, ...headers } = req.headers;
  const out = request({ host: '127.0.0.1', port: upstream, path: req.url, method: req.method, headers, agent }, (answer) => {
    const { connection, 'keep-alive': keepAlive, 'transfer-encoding': encoding, ...back } = answer.headers;
    res.writeHead(answer.statusCode, back);
    answer.pipe(res);
  });
  out.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
  req.pipe(out);
}).listen(port, '127.0.0.1', () => console.log('listening'));
`;

/** CPU time (user + system) a process has used so far, in ms; undefined where /proc is absent. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

let work;
let dir = values.dir && resolve(values.dir);
if (!dir) {
  work = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  dir = join(work, 'gw');
  console.error('generating, installing and building a gateway project ...');
  execFileSync(
    process.execPath,
    [join(root, 'bin', 'mcp-arch.js'), 'generate', 'gw', '--pattern', 'gateway', '--yes', '--no-install', '--no-git'],
    { cwd: work, stdio: 'ignore' },
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env, stdio: 'inherit' });
}
if (!existsSync(join(dir, 'dist', 'index.js')) || !values.dir)
  execFileSync('npm', ['run', 'build'], { cwd: dir, env, stdio: 'ignore' });

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
    child.once(
      'exit',
      (code) => stopping || reject(new Error(`${args.join(' ')} exited with ${code}: ${out.slice(-500)}`)),
    );
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
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become ready`);
}
/** Until something accepts TCP connections on the loopback port. */
async function waitForPort(port) {
  for (let i = 0; i < 600; i++) {
    const open = await new Promise((resolveOpen) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolveOpen(true);
      });
      socket.once('error', () => resolveOpen(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}
let stopping = false;
function stopAll() {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

try {
  const backendPort = await startProcess(
    ['examples/backends/http-backend.mjs'],
    { PORT: '0', BACKEND_NAME: 'bench' },
    (out) => /listening (\d+)/.exec(out)?.[1],
  );
  /**
   * The built gateway with the given servers file (`bench.<name>.json`), as the benchmark runs it;
   * resolves once it is ready. LOG_LEVEL=warn: per-request access logs are an operator's choice,
   * not the gateway's cost.
   */
  async function startGateway(name, mcpServers) {
    const config = join(dir, `bench.${name}.json`);
    writeFileSync(config, JSON.stringify({ mcpServers }));
    const port = await freePort();
    startProcess(
      ['dist/index.js'],
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        AUTH_MODE: 'none',
        RATE_LIMIT_RPS: '0',
        LOG_LEVEL: 'warn',
        SESSION_MODE: 'stateful',
        ENV_FILE: '',
        GATEWAY_CONFIG: config,
      },
      () => undefined,
    ).catch((error) => {
      console.error(error.message);
      process.exit(1);
    });
    const child = children.at(-1);
    await waitForHealth(`http://127.0.0.1:${port}/ready`);
    return { url: `http://127.0.0.1:${port}/mcp`, child };
  }
  // --catalog: the backend's catalog grown by N tools before any gateway lists it.
  let catalogSize = 0;
  if (CATALOG > 0) {
    const client = new Client(
      { name: 'bench', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${backendPort}/mcp`)));
    for (let i = 0; i < CATALOG; i++)
      await client.callTool({ name: 'add_tool', arguments: { name: `catalog_tool_${i}` } });
    // The client reads every page.
    catalogSize = (await client.listTools()).tools.length;
    await client.close();
  }
  const httpGateway = await startGateway('gateway', {
    bench: { url: `http://127.0.0.1:${backendPort}/mcp`, prefix: '' },
  });
  const targets = { direct: `http://127.0.0.1:${backendPort}/mcp`, gateway: httpGateway.url };
  const [backendProcess] = children;
  const catalogGateway =
    CATALOG > 0
      ? await startGateway(
          'catalog',
          Object.fromEntries(
            [1, 2, 3, 4].map((n) => [`c${n}`, { url: `http://127.0.0.1:${backendPort}/mcp`, prefix: `c${n}` }]),
          ),
        )
      : undefined;
  // The node:http yardstick: one process, nothing but the hop.
  const plainPort = await freePort();
  startProcess(['--input-type=module', '-e', PLAIN_NODE_PROXY, String(plainPort), String(backendPort)], {}, (out) =>
    out.includes('listening'),
  ).catch((error) => console.error(error.message));
  const plainProcess = children.at(-1);
  await waitForHealth(`http://127.0.0.1:${plainPort}/health`);
  targets.plain = `http://127.0.0.1:${plainPort}/mcp`;
  let nginxProcess;
  if (NGINX) {
    // One process (no master, no daemon), so stopping it cannot leave a worker behind.
    const nginxDir = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
    const nginxPort = await freePort();
    writeFileSync(
      join(nginxDir, 'nginx.conf'),
      [
        'master_process off; daemon off; worker_processes 1;',
        `pid ${nginxDir}/nginx.pid; error_log ${nginxDir}/error.log warn;`,
        'events { worker_connections 1024; }',
        `http { access_log off; client_body_temp_path ${nginxDir}/body; proxy_temp_path ${nginxDir}/proxy;`,
        `  upstream backend { server 127.0.0.1:${backendPort}; keepalive 32; }`,
        `  server { listen 127.0.0.1:${nginxPort}; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; } } }`,
      ].join('\n'),
    );
    const nginx = spawn(NGINX, ['-p', nginxDir, '-c', join(nginxDir, 'nginx.conf')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(nginx);
    nginx.once('exit', () => rmSync(nginxDir, { recursive: true, force: true }));
    await waitForHealth(`http://127.0.0.1:${nginxPort}/health`);
    targets.nginx = `http://127.0.0.1:${nginxPort}/mcp`;
    nginxProcess = nginx;
  }

  /** A client of the benchmark's era over HTTP, or over stdio to a process of its own when `target.stdio` is set. */
  const connect = async (target) => {
    const client = new Client(
      { name: 'bench', version: '1.0.0' },
      { versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'legacy' } },
    );
    if (typeof target !== 'string') {
      const transport = new StdioClientTransport({ command: node, args: target.stdio, cwd: dir, stderr: 'ignore' });
      await client.connect(transport);
      client.end = () => client.close();
      return client;
    }
    // A signal per request, as the generated clients do (src/http/own-signal.ts): the SDK's one
    // long-lived signal would collect an abort listener per call on Node 20 and 22.
    const fetchOwnSignal = (input, init) =>
      fetch(input, init?.signal ? { ...init, signal: AbortSignal.any([init.signal]) } : init);
    const transport = new StreamableHTTPClientTransport(new URL(target), { fetch: fetchOwnSignal });
    await client.connect(transport);
    // Ends the session on the server (DELETE), as a well-behaved client does, so none linger.
    client.end = async () => {
      if (transport.sessionId) await transport.terminateSession();
      await client.close();
    };
    return client;
  };
  const call = (client, i, tool = 'echo') => client.callTool({ name: tool, arguments: { text: `call ${i}` } });

  async function latency(target, tool) {
    const client = await connect(target);
    for (let i = 0; i < 200; i++) await call(client, i, tool);
    const samples = [];
    for (let i = 0; i < CALLS; i++) {
      const started = performance.now();
      await call(client, i, tool);
      samples.push(performance.now() - started);
    }
    await client.end();
    samples.sort((a, b) => a - b);
    return { p50: samples[Math.floor(samples.length * 0.5)], p99: samples[Math.floor(samples.length * 0.99)] };
  }

  async function throughput(target, proxy, backend, tool) {
    const clients = await Promise.all(Array.from({ length: CONCURRENCY }, () => connect(target)));
    await Promise.all(clients.map((client) => call(client, 0, tool)));
    let next = 0;
    const total = CALLS * 2;
    const cpuBefore = { backend: backend && cpuMs(backend.pid), proxy: proxy && cpuMs(proxy.pid) };
    const ownBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        while (next < total) await call(client, next++, tool);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const own = process.cpuUsage(ownBefore);
    const perCall = (before, pid) => (before === undefined ? undefined : (cpuMs(pid) - before) / total);
    const cpu = {
      backend: backend ? perCall(cpuBefore.backend, backend.pid) : undefined,
      proxy: proxy ? perCall(cpuBefore.proxy, proxy.pid) : undefined,
    };
    await Promise.all(clients.map((client) => client.end()));
    return {
      rps: total / seconds,
      cpuBackend: cpu.backend,
      cpuProxy: cpu.proxy,
      cpuClient: (own.user + own.system) / 1000 / total,
    };
  }

  /** The middle of some numbers (the mean of the middle two for an even count); undefined for none. */
  const middle = (values) => {
    const found = values.filter((v) => v !== undefined).sort((a, b) => a - b);
    if (found.length === 0) return undefined;
    const half = Math.floor(found.length / 2);
    return found.length % 2 === 1 ? found[half] : (found[half - 1] + found[half]) / 2;
  };
  const median = (list, key) => middle(list.map((r) => r[key]));
  const cell = (n, d = 3, suffix = '') => (n === undefined ? '-' : `${n.toFixed(d)}${suffix}`).padStart(11);
  const range = (values, d) =>
    values.length < 2 ? '-' : `${Math.min(...values).toFixed(d)}..${Math.max(...values).toFixed(d)}`;
  /**
   * One side against another, round by round (rounds of both ran back to back): the added p50 and
   * the share of throughput kept in each round, their medians, and their spread. Pairing the rounds
   * keeps the drift of the machine between rounds out of the ratio.
   */
  const paired = (side, base) => {
    const added = side.map((r, i) => r.p50 - base[i].p50);
    const kept = side.map((r, i) => (r.rps / base[i].rps) * 100);
    return {
      added: middle(added),
      kept: middle(kept),
      addedRange: range(added, 2),
      keptRange: range(kept, 0),
    };
  };

  /**
   * Measures every side (`{ label, target, proxy?, backend?, tool? }`, the first one the baseline),
   * rounds alternating between them so drift (CPU frequency, GC) hits all alike; the median
   * round counts. Prints the table and returns the rows by label.
   */
  async function compare(title, sides) {
    const results = sides.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, side] of sides.entries()) {
        const { p50, p99 } = await latency(side.target, side.tool);
        results[index].push({ p50, p99, ...(await throughput(side.target, side.proxy, side.backend, side.tool)) });
      }
    }
    // Each side's medians and its rounds; every side but the baseline also against the baseline, round by round.
    const rows = results.map((list, index) => ({
      ...Object.fromEntries(
        ['p50', 'p99', 'rps', 'cpuBackend', 'cpuProxy', 'cpuClient'].map((key) => [key, median(list, key)]),
      ),
      ...(index === 0 ? {} : paired(list, results[0])),
      rounds: list,
    }));
    // The share kept if CPU were the only limit: known where the backend's CPU is (not behind a bridge).
    const direct = rows[0];
    for (const row of rows.slice(1))
      if (direct.cpuBackend !== undefined && row.cpuBackend !== undefined && row.cpuProxy !== undefined)
        row.byCpu = ((direct.cpuClient + direct.cpuBackend) / (row.cpuClient + row.cpuBackend + row.cpuProxy)) * 100;
    console.log(`\n${title}\n`);
    console.log(
      `${''.padEnd(14)}${'p50 ms'.padStart(11)}${'p99 ms'.padStart(11)}${'+p50 ms'.padStart(11)}${'(rounds)'.padStart(13)}${'calls/s'.padStart(11)}${'kept'.padStart(9)}${'(rounds)'.padStart(11)}${'by CPU'.padStart(9)}${'proxy CPU'.padStart(11)}${'backend CPU'.padStart(12)}${'client CPU'.padStart(12)}`,
    );
    for (const [index, side] of sides.entries()) {
      const r = rows[index];
      const vs = index === 0 ? undefined : r;
      console.log(
        `${side.label.padEnd(14)}${cell(r.p50)}${cell(r.p99)}${cell(vs?.added)}${(vs?.addedRange ?? '-').padStart(13)}${cell(r.rps, 0)}${cell(vs?.kept, 1, '%').slice(2)}${(vs ? `${vs.keptRange}%` : '-').padStart(11)}${cell(r.byCpu, 1, '%').slice(2)}${cell(r.cpuProxy)}${cell(r.cpuBackend).padStart(12)}${cell(r.cpuClient).padStart(12)}`,
      );
    }
    console.log(
      `(+p50 and kept: medians of the rounds' own figures, each round's side against the baseline's run just before it; (rounds): their lowest and highest)`,
    );
    return Object.fromEntries(sides.map((side, index) => [side.label, rows[index]]));
  }

  const version = execFileSync(node, ['--version']).toString().trim();
  // The stdio server behind the gateway and behind the bridges people use to put one on HTTP.
  const stdioServer = [join(dir, 'examples', 'backends', 'stdio-backend.mjs')];
  const stdioGateway = await startGateway('gateway-stdio', {
    bench: { command: node, args: stdioServer, prefix: '', maxSessions: CONCURRENCY * 4 },
  });
  const stdioSides = [
    { label: 'stdio direct', target: { stdio: stdioServer } },
    { label: 'gateway', target: stdioGateway.url, proxy: stdioGateway.child },
  ];
  /** The bridges, where their clients' era is measured: supergateway serves 2025 clients only. */
  const bridgeSides = [];
  if (values.bridges && ERAS.includes('legacy')) {
    const bins = bridgeBins();
    const command = [node, ...stdioServer].join(' ');
    const superPort = await freePort();
    startProcess(
      [
        bins.supergateway,
        '--stdio',
        command,
        '--outputTransport',
        'streamableHttp',
        '--stateful',
        '--port',
        String(superPort),
        '--logLevel',
        'none',
        '--healthEndpoint',
        '/health',
      ],
      {},
      () => undefined,
    ).catch((error) => console.error(error.message));
    const superProcess = children.at(-1);
    await waitForHealth(`http://127.0.0.1:${superPort}/health`);
    const proxyPort = await freePort();
    startProcess(
      [
        bins['mcp-proxy'],
        '--port',
        String(proxyPort),
        '--host',
        '127.0.0.1',
        '--endpoint',
        '/mcp',
        '--',
        node,
        ...stdioServer,
      ],
      {},
      () => undefined,
    ).catch((error) => console.error(error.message));
    const proxyProcess = children.at(-1);
    await waitForPort(proxyPort);
    bridgeSides.push(
      { label: `supergateway`, target: `http://127.0.0.1:${superPort}/mcp`, proxy: superProcess },
      { label: `mcp-proxy`, target: `http://127.0.0.1:${proxyPort}/mcp`, proxy: proxyProcess },
    );
  }
  for (era of ERAS) {
    const shape = `tools/call echo, ${CALLS} sequential calls (latency), ${CALLS * 2} calls over ${CONCURRENCY} sessions (throughput), median of ${ROUNDS} rounds, ${era === 'modern' ? '2026-07-28' : '2025'} clients, node ${version}, ${os.availableParallelism()} cores shared by client, backend and proxy`;
    const httpRows = await compare(`gateway benchmark over HTTP: ${shape}`, [
      { label: 'direct', target: targets.direct, backend: backendProcess },
      { label: 'gateway', target: targets.gateway, proxy: httpGateway.child, backend: backendProcess },
      { label: 'node:http', target: targets.plain, proxy: plainProcess, backend: backendProcess },
      ...(targets.nginx
        ? [{ label: 'nginx proxy', target: targets.nginx, proxy: nginxProcess, backend: backendProcess }]
        : []),
      ...(catalogGateway
        ? [
            {
              label: `gateway 4x${catalogSize}`,
              target: catalogGateway.url,
              proxy: catalogGateway.child,
              backend: backendProcess,
              tool: 'c4__echo',
            },
          ]
        : []),
    ]);
    if (catalogGateway)
      console.log(
        `(gateway 4x${catalogSize}: four namespaced backends of ${catalogSize} tools each, the calls going to the last one's echo)`,
      );
    console.log(
      '(CPU columns: ms of CPU per call in the throughput runs, for the proxy in front, the backend and the load generator; by CPU: the share kept if the cores were the only limit)',
    );
    const { direct, gateway, 'node:http': plain } = httpRows;
    // Kept = (client + backend) / (client + backend + proxy) when the cores are the limit: 80% leaves the proxy a quarter of the rest.
    const directCpu = direct.cpuClient + direct.cpuBackend;
    if (Number.isFinite(directCpu))
      console.log(
        `on this machine 80% kept leaves a proxy ${(directCpu / 4).toFixed(3)} ms of CPU per call (a quarter of the direct side's client and backend, ${directCpu.toFixed(3)} ms), with the backend no busier than direct; the gateway spent ${gateway.cpuProxy.toFixed(3)} ms, and the backend behind it ${gateway.cpuBackend.toFixed(3)} ms against ${direct.cpuBackend.toFixed(3)} ms direct`,
      );
    console.log(
      `\nadded p50: ${gateway.added.toFixed(3)} ms, rounds ${gateway.addedRange} (target <= 0.5 ms: ${gateway.added <= 0.5 ? 'met' : 'NOT met'}); throughput kept: ${gateway.kept.toFixed(1)}%, rounds ${gateway.keptRange}% (target >= 80%: ${gateway.kept >= 80 ? 'met' : 'NOT met'})`,
    );
    const beyond = paired(gateway.rounds, plain.rounds);
    console.log(
      `the plain node:http proxy: added p50 ${plain.added.toFixed(3)} ms, throughput kept ${plain.kept.toFixed(1)}%; the gateway beyond it: +${beyond.added.toFixed(3)} ms p50 (rounds ${beyond.addedRange}), ${beyond.kept.toFixed(1)}% of its throughput (rounds ${beyond.keptRange}%)`,
    );

    if (values.bridges && era === 'modern')
      console.log('\n(bridges left out of the 2026-07-28 table: supergateway serves 2025 clients only)');
    const sides = era === 'legacy' ? [...stdioSides, ...bridgeSides] : stdioSides;
    const stdioRows = await compare(`stdio server behind HTTP bridges: ${shape}`, sides);
    console.log(
      `(kept: against a client speaking stdio to the server directly; proxy CPU: the bridge's own process, not the server processes it starts${
        sides.length > 2
          ? `; ${Object.entries(BRIDGES)
              .map(([name, v]) => `${name} ${v}`)
              .join(', ')}`
          : ''
      })`,
    );
    const bridges = sides.slice(2).map((side) => side.label);
    if (bridges.length > 0) {
      const g = stdioRows.gateway;
      const against = (name) => {
        const { added, kept } = paired(g.rounds, stdioRows[name].rounds);
        return `${(kept / 100).toFixed(2)}x the throughput of ${name}, p50 ${Math.abs(added).toFixed(3)} ms ${added <= 0 ? 'lower' : 'higher'}`;
      };
      console.log(
        `\nthe gateway over stdio, against each bridge (medians of the rounds): ${bridges.map(against).join('; ')}`,
      );
    }
  }
} finally {
  stopAll();
  if (work) rmSync(work, { recursive: true, force: true });
}
