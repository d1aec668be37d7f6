import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/run-bin.js';
import { conformanceSettings, expectConformant } from './conformance.js';
import { installDependencies, ownTests, withStoreServices } from './generated.js';
import { envWithNode, nodeBinDir } from './node-runtime.js';
import { freePort, waitForHealth } from './processes.js';

/**
 * The load-balanced project as it runs: three replica processes of the generated server, the
 * real Redis of this machine, and the real nginx started with the generated nginx.conf (pointed
 * at the replicas' loopback ports, pid and temporary files in a temporary directory). Clients go
 * through nginx only; a replica is killed with SIGKILL and the sessions are counted afterwards.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// Debian installs it in /usr/sbin, which is not on every user's PATH.
const NGINX = process.env.NGINX_BIN ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx');
const KEY = 'e2e-owner-key-0123456789abcdef';
const OTHER_KEY = 'e2e-other-key-0123456789abcdef';
const CLIENTS = 6;

const work = mkdtempSync(join(tmpdir(), 'e2e-lb-'));
// nginx workers run as an unprivileged user when the tests run as root: they must reach the temp files.
chmodSync(work, 0o755);
let node24: string;

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Generates a project with the real CLI; `--no-install`, installed below. */
async function generate(name: string, sessionMode: 'stateless' | 'stateful'): Promise<string> {
  const result = await run(
    'mcpArch',
    [
      'generate',
      name,
      '--pattern',
      'load-balanced',
      '--store',
      'redis',
      '--session-mode',
      sessionMode,
      '--yes',
      '--no-install',
      '--no-git',
    ],
    { cwd: work },
  );
  expect(result.exitCode, result.stderr).toBe(0);
  return join(work, name);
}

interface Replica {
  port: number;
  process: ResultPromise;
  output(): string;
}

/** The generated nginx.conf, pointed at the replicas on loopback, listening on `port`, files under `dir`. */
function nginxConfig(generated: string, replicaPorts: number[], port: number, dir: string): string {
  let index = 0;
  const config = generated
    .replace(/server app-\d+:\d+/g, () => `server 127.0.0.1:${replicaPorts[index++]}`)
    .replace(/listen 8080;/, `listen 127.0.0.1:${port};`)
    .replaceAll('/tmp/', `${dir}/`)
    // Node hands a child sockets, not pipes, for stdout: nginx cannot open /dev/stdout on those.
    .replace('access_log /dev/stdout json;', `access_log ${dir}/access.log json;`);
  expect(index, 'upstream servers in the generated nginx.conf').toBe(3);
  return config;
}

class Cluster {
  replicas: Replica[] = [];
  nginx?: ResultPromise;
  nginxOutput = '';
  url = '';
  readonly prefix = `e2e-lb:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`;

  constructor(
    private readonly app: string,
    private readonly nginxConf: string,
    private readonly sessionMode: 'stateless' | 'stateful',
    /** Settings over the defaults below, given the port nginx will listen on. */
    private readonly settings: (nginxPort: number) => Record<string, string> = () => ({}),
  ) {}

  async start(): Promise<void> {
    const prefix = this.prefix;
    const nginxPort = await freePort();
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const child = execa(join(node24, 'node'), ['dist/index.js'], {
        cwd: this.app,
        env: envWithNode(node24, {
          PORT: String(port),
          HOST: '127.0.0.1',
          ENV_FILE: '',
          AUTH_MODE: 'apikey',
          API_KEYS: `${KEY},${OTHER_KEY}`,
          SESSION_MODE: this.sessionMode,
          REDIS_URL,
          REDIS_KEY_PREFIX: prefix,
          TRUST_PROXY: '1',
          RATE_LIMIT_RPS: '1000',
          LOG_LEVEL: 'info',
          ...this.settings(nginxPort),
        }),
        reject: false,
        stdin: 'ignore',
      });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      this.replicas.push({ port, process: child, output: () => output });
    }
    for (const replica of this.replicas) await waitForHealth(`http://127.0.0.1:${replica.port}/ready`, replica.process);

    const dir = join(work, `nginx-${this.sessionMode}`);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    const port = nginxPort;
    const conf = join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      nginxConfig(
        readFileSync(this.nginxConf, 'utf8'),
        this.replicas.map((r) => r.port),
        port,
        dir,
      ),
    );
    const test = await execa(NGINX, ['-t', '-p', dir, '-c', conf], { reject: false, stdin: 'ignore' });
    expect(test.exitCode, `nginx -t: ${test.stderr}`).toBe(0);
    this.nginx = execa(NGINX, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { reject: false, stdin: 'ignore' });
    this.nginx.stdout!.on('data', (chunk: Buffer) => (this.nginxOutput += chunk.toString()));
    this.nginx.stderr!.on('data', (chunk: Buffer) => (this.nginxOutput += chunk.toString()));
    await waitForHealth(`http://127.0.0.1:${port}/nginx-health`, this.nginx, 15_000);
    this.url = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    // nginx: QUIT lets the master stop its workers; KILL is the fallback.
    if (this.nginx && this.nginx.exitCode === null) {
      this.nginx.kill('SIGQUIT');
      const timer = setTimeout(() => this.nginx?.kill('SIGKILL'), 5000);
      await this.nginx;
      clearTimeout(timer);
    }
    for (const replica of this.replicas) if (replica.process.exitCode === null) replica.process.kill('SIGKILL');
    await Promise.all(this.replicas.map((replica) => replica.process));
    // Through the project's own ioredis: this repository does not depend on it.
    const clean = `const r = new (require('ioredis').Redis)(process.env.REDIS_URL); r.keys(process.env.PREFIX + '*').then((k) => k.length && r.del(...k)).finally(() => r.disconnect())`;
    await execa(join(node24, 'node'), ['-e', clean], {
      cwd: this.app,
      env: envWithNode(node24, { REDIS_URL, PREFIX: this.prefix }),
      stdin: 'ignore',
      reject: false,
    });
  }

  /** The replica whose log says it created `sessionId`. */
  creatorOf(sessionId: string): Replica | undefined {
    return this.replicas.find((replica) =>
      replica
        .output()
        .split('\n')
        .some((line) => line.includes(`"sessionId":"${sessionId}"`) && line.includes('"msg":"session created"')),
    );
  }
}

/** A client of the era asked for: 2026-07-28 (stateless on every replica) or 2025 (the sessionful leg when stateful). */
async function connect(
  url: string,
  era: 'modern' | 'legacy',
  key = KEY,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client(
    { name: 'e2e-lb', version: '1.0.0' },
    { versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'legacy' } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
    reconnectionOptions: {
      initialReconnectionDelay: 100,
      maxReconnectionDelay: 500,
      reconnectionDelayGrowFactor: 1.5,
      maxRetries: 3,
    },
  });
  await client.connect(transport);
  return { client, transport };
}

async function callEverywhere(clients: Client[], text: string): Promise<number> {
  let ok = 0;
  for (const client of clients) {
    const result = await client.callTool({ name: 'echo', arguments: { text } });
    if (JSON.stringify(result.content) === JSON.stringify([{ type: 'text', text }])) ok += 1;
  }
  return ok;
}

let statelessApp: string;
let statefulApp: string;

beforeAll(async () => {
  node24 = await nodeBinDir(24);
  statelessApp = await generate('lb-stateless', 'stateless');
  statefulApp = await generate('lb-stateful', 'stateful');
  await installDependencies(statelessApp, node24);
  await execa('npm', ['run', 'build'], { cwd: statelessApp, env: envWithNode(node24), stdin: 'ignore' });
}, 300_000);

describe('generated load-balanced project', { timeout: 240_000 }, () => {
  it('passes its own tests against Redis and Postgres, replicas included', async () => {
    const { report } = await ownTests(statelessApp, node24, { REDIS_URL, DATABASE_URL });
    const replicaCases = report.testResults
      .filter((file) => file.name.endsWith('test/replicas.test.ts'))
      .flatMap((file) => file.assertionResults);
    // With REDIS_URL and DATABASE_URL set nothing of the replica suite may be skipped.
    expect(replicaCases.filter((c) => c.status !== 'passed').map((c) => `${c.title}: ${c.status}`)).toEqual([]);
    // The project's own store (Redis) carries every case: sessions, shared limits and the limiter while Redis is gone.
    expect(replicaCases.map((c) => c.title).sort()).toEqual([
      'allows about one limit in total, not one per replica',
      'answers 404 for a record it cannot rebuild, so the client starts a new session',
      'continues every session on the other replicas when the one that created it is gone',
      'ends a session on every replica with one DELETE',
      'is shared through Redis by replicas, and not opened for one instance or without limits',
      'limits per instance, without failing requests, while Redis is unreachable',
      'refuses a session id replayed by another identity on every replica, as if it did not exist',
      'serves a 2026-07-28 client from every replica in turn, without a session',
    ]);

    // The oldest supported Node line runs the replica suite too (node:sqlite, the SDK transport).
    const node22 = await nodeBinDir(22);
    const older = await withStoreServices(statelessApp, () =>
      execa('npx', ['vitest', 'run', 'test/replicas.test.ts'], {
        cwd: statelessApp,
        env: envWithNode(node22, { REDIS_URL }),
        reject: false,
        stdin: 'ignore',
      }),
    );
    expect(older.exitCode, older.stdout.slice(-3000) + older.stderr.slice(-1000)).toBe(0);
  });

  it('stateless: through nginx, every client keeps working after a replica is killed', async () => {
    const cluster = new Cluster(statelessApp, join(statelessApp, 'deploy', 'nginx', 'nginx.conf'), 'stateless');
    const clients: Client[] = [];
    try {
      await cluster.start();
      // Both eras: 2026-07-28 clients and 2025 clients, each served statelessly by any replica.
      for (let i = 0; i < CLIENTS; i += 1)
        clients.push((await connect(cluster.url, i % 2 === 0 ? 'modern' : 'legacy')).client);
      expect(await callEverywhere(clients, 'before')).toBe(CLIENTS);
      // Requests were spread: more than one replica served tool calls.
      const served = cluster.replicas.filter((replica) =>
        replica.output().includes('"method":"POST","path":"/mcp","status":200'),
      );
      expect(served.length).toBeGreaterThan(1);

      cluster.replicas[0]!.process.kill('SIGKILL');
      await cluster.replicas[0]!.process;
      expect(await callEverywhere(clients, 'after')).toBe(CLIENTS);
    } finally {
      await Promise.all(clients.map((client) => client.close().catch(() => {})));
      await cluster.stop();
    }
  });

  it('passes the official conformance suite through nginx with no affinity, in both eras, with the sessionful 2025 leg', async () => {
    const cluster = new Cluster(statelessApp, join(statelessApp, 'deploy', 'nginx', 'nginx.conf'), 'stateful', (port) =>
      conformanceSettings(port),
    );
    try {
      await cluster.start();
      await expectConformant(`${cluster.url}/mcp`, 'load-balanced, 3 replicas behind nginx');
    } finally {
      await cluster.stop();
    }
  });

  it('stateful: sessions survive the replica that created them; another user is refused; DELETE ends a session everywhere', async () => {
    // The stateful project's nginx.conf (affinity by Mcp-Session-Id) in front of the same built server.
    const cluster = new Cluster(statelessApp, join(statefulApp, 'deploy', 'nginx', 'nginx.conf'), 'stateful');
    const sessions: Array<{ client: Client; transport: StreamableHTTPClientTransport }> = [];
    try {
      await cluster.start();
      for (let i = 0; i < CLIENTS; i += 1) sessions.push(await connect(cluster.url, 'legacy'));
      const clients = sessions.map((session) => session.client);
      expect(await callEverywhere(clients, 'before')).toBe(CLIENTS);

      const ids = sessions.map((session) => session.transport.sessionId!);
      expect(new Set(ids).size).toBe(CLIENTS);
      const victim = cluster.creatorOf(ids[0]!)!;
      expect(victim, 'the replica that created the first session').toBeDefined();
      const onVictim = ids.filter((id) => cluster.creatorOf(id) === victim).length;
      victim.process.kill('SIGKILL');
      await victim.process;

      // Counted: every session, including the ${onVictim} the killed replica created, still answers.
      expect(onVictim).toBeGreaterThanOrEqual(1);
      expect(await callEverywhere(clients, 'after')).toBe(CLIENTS);
      const survivors = cluster.replicas.filter((replica) => replica !== victim);
      expect(survivors.some((replica) => replica.output().includes('session rebuilt from the shared store'))).toBe(
        true,
      );

      // Another user replaying a live session id, through nginx and on each replica directly.
      const request = (base: string, key: string, sessionId: string) =>
        fetch(`${base}/mcp`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-session-id': sessionId,
            'mcp-protocol-version': '2025-11-25',
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
        });
      for (const base of [cluster.url, ...survivors.map((replica) => `http://127.0.0.1:${replica.port}`)]) {
        const stolen = await request(base, OTHER_KEY, ids[1]!);
        expect(stolen.status).toBe(404);
        await stolen.text();
      }

      // DELETE through nginx ends it on every replica.
      await sessions[1]!.transport.terminateSession();
      for (const base of [cluster.url, ...survivors.map((replica) => `http://127.0.0.1:${replica.port}`)]) {
        const after = await request(base, KEY, ids[1]!);
        expect(after.status).toBe(404);
        await after.text();
      }
      // The others are untouched.
      expect(
        await callEverywhere(
          clients.filter((_, index) => index !== 1),
          'still',
        ),
      ).toBe(CLIENTS - 1);
    } finally {
      await Promise.all(sessions.map(({ client }) => client.close().catch(() => {})));
      await cluster.stop();
    }
  });
});
