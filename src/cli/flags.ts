import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { parseAnswer, QUESTIONS, type AdvisorAnswers } from '../core/answers.js';
import { UserError } from '../core/errors.js';
import {
  AUTH_MODES,
  DEPLOY_TARGETS,
  isOneOf,
  PACKAGE_MANAGERS,
  PATTERN_IDS,
  PROTOCOL_POSTURES,
  SESSION_MODES,
  STORE_IDS,
  type DeployTarget,
  type PackageManager,
} from '../core/ids.js';
import type { ProjectOptions } from '../core/options.js';

/** Flags of the advisor: one per question, from the question list. */
export function addAdvisorFlags(command: Command): Command {
  for (const question of QUESTIONS) {
    if (question.kind === 'boolean') {
      command.option(`--${question.flag}`, `${question.message} (yes)`);
      command.option(`--no-${question.flag}`, '(no)');
    } else if (question.kind === 'choice') {
      command.addOption(
        new Option(`--${question.flag} <value>`, question.message).choices(question.choices.map((c) => c.value)),
      );
    } else {
      command.option(`--${question.flag} <n>`, question.message);
    }
  }
  command.option('--answers <file>', 'read answers and options from a JSON file (flags win)');
  command.option('-y, --yes', 'accept the recommendation and the defaults for anything not given');
  command.option('--json', 'print the result as JSON on stdout');
  return command;
}

/** Flags of create/generate: the advisor's plus the project and run options. */
export function addProjectFlags(command: Command): Command {
  addAdvisorFlags(command);
  command
    .addOption(new Option('--pattern <id>', 'pattern to generate (skips the advisor)').choices(PATTERN_IDS))
    .addOption(new Option('--store <id>', 'session store').choices(STORE_IDS))
    .option('--deploy <list>', `deploy targets, comma-separated (${DEPLOY_TARGETS.join(', ')})`)
    .addOption(new Option('--auth <mode>', 'client authentication').choices(AUTH_MODES))
    .addOption(
      new Option(
        '--protocol <posture>',
        'MCP revisions served: dual (2026-07-28 and 2025-era clients) or modern',
      ).choices(PROTOCOL_POSTURES),
    )
    .addOption(
      new Option('--session-mode <mode>', 'session mode of the 2025-era leg (stateful needs --protocol dual)').choices(
        SESSION_MODES,
      ),
    )
    .option('--name <name>', 'npm package name (default: derived from the directory)')
    .addOption(
      new Option('--pm <pm>', 'package manager for install (default: the one that ran this)').choices(PACKAGE_MANAGERS),
    )
    .option('--no-install', 'do not install dependencies')
    .option('--no-git', 'do not create a git repository')
    .option('--dry-run', 'show what would be generated and write nothing');
  return command;
}

export interface ParsedFlags {
  answers: Partial<AdvisorAnswers>;
  options: Partial<ProjectOptions>;
  name?: string;
  pm?: PackageManager;
}

export function parseDeploy(raw: unknown, source: string): DeployTarget[] {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
  if (!list) throw new UserError(`${source}: expected a comma-separated list of ${DEPLOY_TARGETS.join(', ')}.`);
  const targets = list.map((t) => (typeof t === 'string' ? t.trim() : t)).filter((t) => t !== '');
  if (targets.length === 0) throw new UserError(`${source}: give at least one of ${DEPLOY_TARGETS.join(', ')}.`);
  for (const target of targets) {
    if (!isOneOf(DEPLOY_TARGETS, target))
      throw new UserError(
        `${source}: unknown deploy target ${JSON.stringify(target)}; use ${DEPLOY_TARGETS.join(', ')}.`,
      );
  }
  return [...new Set(targets as DeployTarget[])];
}

const FILE_OPTION_KEYS = [
  'name',
  'pattern',
  'store',
  'deploy',
  'auth',
  'sessionMode',
  'protocol',
  'tracing',
  'pm',
] as const;

function choiceFrom<T extends string>(list: readonly T[], raw: unknown, source: string): T {
  if (isOneOf(list, raw)) return raw;
  throw new UserError(`${source}: expected one of ${list.join(', ')}, got ${JSON.stringify(raw)}.`);
}

/** Reads an answers file: the advisor's question ids and the project options, nothing else. */
export function readAnswersFile(path: string, cwd: string): ParsedFlags {
  const full = resolve(cwd, path);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(full, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new UserError(`--answers ${path}: cannot read it as JSON (${reason}).`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new UserError(`--answers ${path}: expected a JSON object.`);
  const known = [...QUESTIONS.map((q) => q.id as string), ...FILE_OPTION_KEYS];
  const parsed: ParsedFlags = { answers: {}, options: {} };
  for (const [key, value] of Object.entries(data)) {
    const source = `${path}: ${key}`;
    const question = QUESTIONS.find((q) => q.id === key);
    if (question) (parsed.answers as Record<string, unknown>)[key] = parseAnswer(question, value, source);
    else if (key === 'name') {
      if (typeof value !== 'string') throw new UserError(`${source}: expected a string.`);
      parsed.name = value;
    } else if (key === 'pattern') parsed.options.pattern = choiceFrom(PATTERN_IDS, value, source);
    else if (key === 'store') parsed.options.store = choiceFrom(STORE_IDS, value, source);
    else if (key === 'deploy') parsed.options.deploy = parseDeploy(value, source);
    else if (key === 'auth') parsed.options.authMode = choiceFrom(AUTH_MODES, value, source);
    else if (key === 'sessionMode') parsed.options.sessionMode = choiceFrom(SESSION_MODES, value, source);
    else if (key === 'protocol') parsed.options.protocol = choiceFrom(PROTOCOL_POSTURES, value, source);
    else if (key === 'tracing') {
      if (typeof value !== 'boolean') throw new UserError(`${source}: expected true or false.`);
      if (value) parsed.options.tracing = true;
    } else if (key === 'pm') parsed.pm = choiceFrom(PACKAGE_MANAGERS, value, source);
    else throw new UserError(`${path}: unknown key ${JSON.stringify(key)}. Known keys: ${known.join(', ')}.`);
  }
  return parsed;
}

/** Commander's option values -> answers and options; the answers file first, flags over it. */
export function parseFlags(values: Record<string, unknown>, cwd: string): ParsedFlags {
  const parsed: ParsedFlags =
    typeof values.answers === 'string' ? readAnswersFile(values.answers, cwd) : { answers: {}, options: {} };
  for (const question of QUESTIONS) {
    const key = question.flag.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
    const raw = values[key];
    if (raw !== undefined)
      (parsed.answers as Record<string, unknown>)[question.id] = parseAnswer(question, raw, `--${question.flag}`);
  }
  if (values.pattern !== undefined) parsed.options.pattern = values.pattern as ProjectOptions['pattern'];
  if (values.store !== undefined) parsed.options.store = values.store as ProjectOptions['store'];
  if (values.deploy !== undefined) parsed.options.deploy = parseDeploy(values.deploy, '--deploy');
  if (values.auth !== undefined) parsed.options.authMode = values.auth as ProjectOptions['authMode'];
  if (values.sessionMode !== undefined)
    parsed.options.sessionMode = values.sessionMode as ProjectOptions['sessionMode'];
  if (values.protocol !== undefined) parsed.options.protocol = values.protocol as ProjectOptions['protocol'];
  if (typeof values.name === 'string') parsed.name = values.name;
  if (values.pm !== undefined) parsed.pm = values.pm as PackageManager;
  return parsed;
}
