import { Chalk, type ChalkInstance } from 'chalk';
import { toolInfo } from '../core/tool-info.js';
import type { Output, Prompter } from '../steps/context.js';

/** CI counts as set unless it is empty, "0" or "false". */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * Prompts only with a terminal on both ends and no CI: decided here, not by the prompt library
 * (which would throw or silently take defaults without a terminal).
 */
export function canPrompt(stdin: { isTTY?: boolean }, stdout: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stdin.isTTY) && Boolean(stdout.isTTY) && !isCI(env);
}

/** Colour when the stream is a terminal, unless NO_COLOR is set; FORCE_COLOR wins both ways. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export function chalkFor(enabled: boolean): ChalkInstance {
  return new Chalk({ level: enabled ? 1 : 0 });
}

/** A stream the CLI writes to: the process's, or a buffer in tests. */
export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * Everything a CLI run reads from or writes to its process. The bins pass the real process;
 * tests pass buffers, an environment and a working directory, and run the programs in-process.
 */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  stdin: { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** Writes one line (adds the newline when missing). */
export function printLine(stream: CliStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** In --json mode stdout carries only the JSON document; everything else goes to stderr. */
export function cliOutput(io: CliIo, json: boolean): Output {
  return {
    out: (text) => printLine(io.stdout, text),
    info: (text) => (json ? io.stderr : io.stdout).write(`${text}\n`),
    interactiveErr: Boolean(io.stderr.isTTY),
  };
}

/** @inquirer/prompts behind the Prompter interface, loaded only when a prompt is really shown. */
export function inquirerPrompter(): Prompter {
  const load = () => import('@inquirer/prompts');
  return {
    input: async (q) => (await load()).input(q),
    confirm: async (q) => (await load()).confirm(q),
    select: async (q) => (await load()).select(q),
    checkbox: async (q) => (await load()).checkbox(q),
  };
}

/** A prompter for non-interactive runs: reaching it is a bug, since steps check `interactive`. */
export const noPrompter: Prompter = {
  input: () => Promise.reject(new Error('prompt without a terminal')),
  confirm: () => Promise.reject(new Error('prompt without a terminal')),
  select: () => Promise.reject(new Error('prompt without a terminal')),
  checkbox: () => Promise.reject(new Error('prompt without a terminal')),
};

/** This package's version, from its package.json. */
export function packageVersion(): string {
  return toolInfo().version;
}
