import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './local.js';

/**
 * The response header both balancers add: the replica (`http://host:port`) that answered, so a
 * probe knows which replica served a session or a stream without reading any replica's logs.
 */
export const UPSTREAM_HEADER = 'x-mcp-arch-upstream';

/**
 * The replica a response came from, as an origin: the last address of the header (nginx lists
 * every replica it tried), `http://` added where nginx gives `host:port`.
 */
export function upstreamOf(header: string | null): string | undefined {
  const last = header?.split(',').pop()?.trim();
  if (!last) return undefined;
  try {
    return new URL(/^https?:\/\//.test(last) ? last : `http://${last}`).origin;
  } catch {
    return undefined;
  }
}

/** A load balancer verify runs on loopback in front of replicas it started. */
export interface Balancer {
  /** Origin clients use, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** What balances, for summaries: the project's nginx config, or the round-robin proxy. */
  readonly description: string;
  /** Stops it; safe to call twice. */
  close(): Promise<void>;
}

/** Bodies are replayed on another replica when one refuses the connection: they are kept up to this size. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** How long nginx may take to answer after it starts. */
const NGINX_READY_MS = 10_000;

/**
 * A round-robin HTTP proxy on loopback with no affinity of any kind: every request goes to the
 * next replica in turn, streams (SSE) pass through as written. A request whose replica refuses
 * the connection goes to the next one, as a load balancer's health handling would.
 */
export async function startRoundRobin(upstreams: readonly string[]): Promise<Balancer> {
  if (upstreams.length === 0) throw new Error('the round-robin proxy needs at least one replica');
  const agent = new Agent({ keepAlive: true });
  let next = 0;
  /** Replicas that refused a connection, until when they are passed by (nginx's fail_timeout). */
  const down = new Map<string, number>();
  const pick = (tried: ReadonlySet<string>): string | undefined => {
    const untried = [...upstreams.keys()]
      .map((offset) => upstreams[(next + offset) % upstreams.length] as string)
      .filter((upstream) => !tried.has(upstream));
    const chosen = untried.find((upstream) => (down.get(upstream) ?? 0) <= Date.now()) ?? untried[0];
    next++;
    return chosen;
  };
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, tried: Set<string>): void => {
    const chosen = pick(tried);
    if (chosen === undefined) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end('no replica answered');
      return;
    }
    tried.add(chosen);
    const upstream = new URL(chosen);
    const headers = { ...req.headers, host: upstream.host };
    const outgoing = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, [UPSTREAM_HEADER]: upstream.origin });
        answer.pipe(res);
        // A replica that dies mid-stream cuts the client's stream too, as a load balancer does.
        answer.once('close', () => {
          if (!answer.complete) res.destroy();
        });
        res.once('close', () => answer.destroy());
      },
    );
    outgoing.once('error', (error: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // Never reached a replica: another one may take it, and this one is passed by for a while.
      if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET') {
        down.set(chosen, Date.now() + 10_000);
        if (tried.size < upstreams.length) {
          forward(req, res, body, tried);
          return;
        }
      }
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`no replica answered: ${error.code ?? error.message}`);
    });
    res.once('close', () => {
      if (!res.writableFinished) outgoing.destroy();
    });
    outgoing.end(body);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.once('end', () => {
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        return;
      }
      forward(req, res, Buffer.concat(chunks), new Set());
    });
  });
  const port = await listen(server);
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    description: `a round-robin loopback proxy over ${upstreams.length} replicas`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
      return closing;
    },
  };
}

function listen(server: ReturnType<typeof createServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

/** The nginx binary: NGINX_BIN, Debian's /usr/sbin/nginx (often not on PATH), or `nginx` on PATH. */
export function nginxBinary(env: NodeJS.ProcessEnv): string {
  return env.NGINX_BIN ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx');
}

/**
 * The project's nginx.conf as it runs on loopback: its upstream servers replaced by `upstreams`
 * (extra upstream lines dropped), listening on `port`, its pid, temporary and log files under
 * `dir`, and the header naming the replica that answered. Everything else (balancing method,
 * timeouts, retries) stays as the project wrote it. Undefined when the config has no upstream.
 */
export function loopbackNginxConfig(
  config: string,
  upstreams: readonly string[],
  port: number,
  dir: string,
): string | undefined {
  let index = 0;
  const rewritten = config
    .split('\n')
    .flatMap((line) => {
      const match = /^(\s*)server\s+[^\s;]+:\d+\b/.exec(line);
      if (!match) return [line];
      const upstream = upstreams[index++];
      return upstream ? [line.replace(/server\s+[^\s;]+:\d+/, `server ${new URL(upstream).host}`)] : [];
    })
    .join('\n')
    .replace(/listen\s+[^;]+;/, `listen 127.0.0.1:${port};`)
    .replaceAll('/tmp/', `${dir}/`)
    // nginx cannot open /dev/stdout when its stdout is a pipe; the access log goes to a file.
    .replace(/access_log\s+\/dev\/stdout/, `access_log ${dir}/access.log`)
    .replace(/(proxy_pass\s+http:\/\/[^;]+;)/, `$1\n      add_header ${UPSTREAM_HEADER} $upstream_addr always;`);
  return index >= upstreams.length ? rewritten : undefined;
}

/**
 * Runs the project's nginx.conf (see `loopbackNginxConfig`) with the nginx binary in its own
 * process group; undefined, with the reason, when nginx is missing or rejects the config.
 */
export async function startNginx(
  config: string,
  upstreams: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ balancer: Balancer } | { reason: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-arch-nginx-'));
  // nginx workers run unprivileged when verify runs as root: they must reach the temporary files.
  await chmod(dir, 0o777);
  const port = await freePort();
  const text = loopbackNginxConfig(config, upstreams, port, dir);
  if (!text) {
    await rm(dir, { recursive: true, force: true });
    return { reason: `its nginx.conf has fewer than ${upstreams.length} upstream servers` };
  }
  const file = path.join(dir, 'nginx.conf');
  await writeFile(file, text);
  const binary = nginxBinary(env);
  const child = spawn(binary, ['-p', dir, '-c', file, '-g', 'daemon off;'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      output += error.message;
      resolve();
    });
    child.once('exit', () => resolve());
  });
  let gone = false;
  void exited.then(() => (gone = true));
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      signalGroup(child, 'SIGQUIT');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      signalGroup(child, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    })();
    return closing;
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + NGINX_READY_MS;
  while (!gone && Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/`, { method: 'HEAD', signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel().catch(() => undefined);
      return { balancer: { url, description: "the project's nginx.conf (nginx on loopback)", close } };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await close();
  const why = output.trim().split('\n').slice(-3).join(' ') || `no answer within ${NGINX_READY_MS / 1000} s`;
  return { reason: `${binary} did not start with it (${why})` };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
