import { spawn, type ChildProcess } from 'node:child_process';
import { EXIT, InterruptedError, UserError } from '../../core/errors.js';
import { MANIFEST_FILE } from '../../core/manifest.js';
import type { LocalInstance } from '../check.js';

/** Generated projects use `node:sqlite`, `process.loadEnvFile` and friends: Node 22.13 or later. */
export const MIN_NODE = { major: 22, minor: 13 } as const;
/** How long a started server may take to answer its liveness endpoint. */
const READY_TIMEOUT_MS = 30_000;
/** How long a build may take before verify gives up on it. */
const BUILD_TIMEOUT_MS = 300_000;
/** What the output buffers keep per stream: enough for every probe, bounded for a chatty server. */
const MAX_OUTPUT_CHARS = 4 * 1024 * 1024;

/** Children still running; killed when this process exits for any reason, so none is left behind. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const orphan of running) killGroup(orphan, 'SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** Signals every process of the child's group (it was started as the group's leader). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/**
 * Splits a manifest command into program and arguments. It is run without a shell, so shell
 * syntax would not do what it says: refuse it with a message naming the field.
 */
export function parseCommand(command: string, field: string): [string, ...string[]] {
  if (/[|&;<>()$`\\"'*?{}]/.test(command)) {
    throw new UserError(
      `${MANIFEST_FILE}: "${field}" (${JSON.stringify(command)}) must be a plain command with arguments (no shell syntax), e.g. "node dist/index.js".`,
      EXIT.usage,
    );
  }
  const parts = command.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0)
    throw new UserError(`${MANIFEST_FILE}: "${field}" is empty; set it to e.g. "node dist/index.js".`, EXIT.usage);
  return parts as [string, ...string[]];
}

/** Runs a program to completion and returns its output; never leaves it running. */
function runToEnd(
  program: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; signal?: AbortSignal; timeoutMs: number },
): Promise<{ code: number | null; output: string; error?: Error }> {
  return new Promise((resolve) => {
    let output = '';
    let child: ChildProcess;
    try {
      child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ code: null, output, error: error as Error });
      return;
    }
    track(child);
    const append = (chunk: Buffer) => {
      if (output.length < MAX_OUTPUT_CHARS) output += chunk.toString('utf8');
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const kill = () => child.kill('SIGTERM');
    const timer = setTimeout(kill, options.timeoutMs);
    options.signal?.addEventListener('abort', kill, { once: true });
    let failed: Error | undefined;
    child.once('error', (error) => (failed = error));
    child.once('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', kill);
      resolve({ code, output, ...(failed ? { error: failed } : {}) });
    });
  });
}

function parseVersion(text: string): { major: number; minor: number } | undefined {
  const match = /v?(\d+)\.(\d+)\.\d+/.exec(text);
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

/**
 * The `node` on PATH is what runs the project: it must be recent enough. An older or missing
 * one is a configuration problem (exit 2) with the fix, never a guess at another Node.
 */
export async function requireNode(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const result = await runToEnd('node', ['--version'], { cwd: dir, env, timeoutMs: 15_000 });
  const fix = `Install Node ${MIN_NODE.major}.${MIN_NODE.minor} or later (e.g. \`nvm install 22\` or \`fnm use 22\`) and put it first on PATH, then run mcp-arch verify --live again; or start the project yourself and pass --url.`;
  if (result.error || result.code !== 0) {
    throw new UserError(
      `--live runs the project with \`node\` from PATH, but it could not be run (${result.error?.message ?? `exit ${result.code}`}). ${fix}`,
      EXIT.usage,
    );
  }
  const version = parseVersion(result.output);
  if (
    !version ||
    version.major < MIN_NODE.major ||
    (version.major === MIN_NODE.major && version.minor < MIN_NODE.minor)
  ) {
    throw new UserError(
      `--live runs the project with \`node\` from PATH, which is ${result.output.trim() || 'of unknown version'}; the generated project needs Node >= ${MIN_NODE.major}.${MIN_NODE.minor}. ${fix}`,
      EXIT.usage,
    );
  }
  return result.output.trim();
}

/** Runs `start.build`; a failure is exit 2 with the tail of its output, since nothing can be probed. */
export async function buildProject(
  dir: string,
  command: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<void> {
  const [program, ...args] = parseCommand(command, 'start.build');
  const result = await runToEnd(program, args, {
    cwd: dir,
    env,
    timeoutMs: BUILD_TIMEOUT_MS,
    ...(signal ? { signal } : {}),
  });
  if (signal?.aborted) throw new InterruptedError('Interrupted while building the project.');
  if (result.error || result.code !== 0) {
    const tail = result.output.trim().split('\n').slice(-15).join('\n');
    const missingDeps = /Cannot find module|not found|ERR_MODULE_NOT_FOUND|tsc: not found/i.test(result.output);
    throw new UserError(
      `--live could not build the project: \`${command}\` ${result.error ? `failed to run (${result.error.message})` : `exited with ${result.code}`}.` +
        `${missingDeps ? ' Run npm install in the project first.' : ''}\n${tail}`,
      EXIT.usage,
    );
  }
}

export interface StartInstanceOptions {
  dir: string;
  /** `start.run` of the manifest. */
  command: string;
  env: NodeJS.ProcessEnv;
  port: number;
  healthPath: string;
  signal?: AbortSignal;
  readyTimeoutMs?: number;
}

/** The last `lines` lines of what an instance printed, its errors first: enough to show why it stopped. */
export function outputTail({ stdout, stderr }: { stdout: string; stderr: string }, lines: number): string {
  return `${stderr}\n${stdout}`.trim().split('\n').slice(-lines).join('\n');
}

/**
 * Starts the server and waits until its liveness endpoint answers. If it exits first or never
 * answers, it is stopped and the error carries what it printed.
 */
export async function startInstance(options: StartInstanceOptions): Promise<LocalInstance> {
  const [program, ...args] = parseCommand(options.command, 'start.run');
  const url = `http://127.0.0.1:${options.port}`;
  // Its own process group: the processes it starts (stdio backends) end with it.
  const child = spawn(program, args, {
    cwd: options.dir,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    if (stdout.length < MAX_OUTPUT_CHARS) stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < MAX_OUTPUT_CHARS) stderr += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', () => resolve({ code: null, signal: null }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((value) => (exit = value));

  const instance: LocalInstance = {
    url,
    pid: child.pid ?? -1,
    output: () => ({ stdout, stderr }),
    exited: () => exit,
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (exit) {
        killGroup(child, 'SIGKILL');
        return exit;
      }
      // SIGKILL takes the whole group at once, as a crash would; any other signal goes to the
      // server alone, which ends its own children as it shuts down.
      if (signal === 'SIGKILL') killGroup(child, signal);
      else child.kill(signal);
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
        // Whatever the server left behind ends with it.
        killGroup(child, 'SIGKILL');
      }
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? READY_TIMEOUT_MS);
  // Enough lines to hold an error message and its stack, not a whole log.
  const tail = () => outputTail({ stdout, stderr }, 30);
  try {
    for (;;) {
      if (options.signal?.aborted)
        throw new InterruptedError('Interrupted: verify stopped the project it was starting.');
      if (exit) {
        throw new UserError(
          `--live started \`${options.command}\` but it exited with ${exit.code ?? exit.signal} before answering ${options.healthPath}:\n${tail()}`,
          EXIT.nothingChecked,
        );
      }
      if (Date.now() > deadline) {
        throw new UserError(
          `--live started \`${options.command}\` but ${url}${options.healthPath} did not answer 200 within ${(options.readyTimeoutMs ?? READY_TIMEOUT_MS) / 1000} s:\n${tail()}`,
          EXIT.nothingChecked,
        );
      }
      try {
        const response = await fetch(`${url}${options.healthPath}`, { signal: AbortSignal.timeout(1_000) });
        await response.body?.cancel().catch(() => undefined);
        if (response.status === 200) return instance;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await instance.stop('SIGKILL', 5_000);
    throw error;
  }
}
