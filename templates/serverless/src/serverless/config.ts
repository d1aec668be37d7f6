import { ConfigError, loadConfig, type Config } from '../config.js';

/** Longest function timeout any supported platform allows (Lambda: 15 minutes). */
const MAX_FUNCTION_TIMEOUT_SECONDS = 900;

export interface ServerlessConfig {
  config: Config;
  /** How long the platform lets one invocation run. */
  functionTimeoutMs: number;
}

export interface ServerlessConfigOptions {
  /** The platform's own limit when FUNCTION_TIMEOUT_SECONDS is not set (Vercel: vercel.json's maxDuration); none for Lambda. */
  defaultFunctionTimeoutSeconds?: number;
}

/**
 * Time kept back from the function timeout for what follows a tool call that gave up: turning
 * it into a JSON-RPC result, sending it and flushing the logs. Without it the platform would
 * kill the invocation first and the client would get a bare gateway error instead.
 */
export function responseMarginMs(functionTimeoutMs: number): number {
  return Math.min(3000, Math.floor(functionTimeoutMs / 5));
}

/** The longest REQUEST_TIMEOUT_MS a function with this timeout can honour. */
export function toolBudgetMs(functionTimeoutMs: number): number {
  return functionTimeoutMs - responseMarginMs(functionTimeoutMs);
}

const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/**
 * The base configuration, plus what a function instance needs to be true:
 * - stateless only: an instance may be frozen or discarded between any two requests;
 * - AUTH_MODE chosen explicitly: a function URL is reachable from the internet;
 * - a tool call ends (REQUEST_TIMEOUT_MS) before the platform ends the invocation;
 * - Host validation off by default: API Gateway, Function URLs and Vercel route only the host
 *   names they own, so DNS rebinding cannot reach the function under a foreign name.
 * Throws a ConfigError naming every problem and its fix.
 */
export function loadServerlessConfig(
  env: Record<string, string | undefined>,
  { defaultFunctionTimeoutSeconds }: ServerlessConfigOptions = {},
): ServerlessConfig {
  const problems: string[] = [];

  const timeoutText = isSet(env.FUNCTION_TIMEOUT_SECONDS) ? env.FUNCTION_TIMEOUT_SECONDS.trim() : defaultFunctionTimeoutSeconds?.toString();
  const timeoutSeconds = Number(timeoutText);
  if (timeoutText === undefined) {
    problems.push('FUNCTION_TIMEOUT_SECONDS: required; set it to the function\'s timeout in seconds (template.yaml passes its Timeout)');
  } else if (!/^\d+$/.test(timeoutText) || timeoutSeconds < 1 || timeoutSeconds > MAX_FUNCTION_TIMEOUT_SECONDS) {
    problems.push(`FUNCTION_TIMEOUT_SECONDS: expected a whole number of seconds from 1 to ${MAX_FUNCTION_TIMEOUT_SECONDS} (got ${JSON.stringify(timeoutText)})`);
  }
  const functionTimeoutMs = Number.isInteger(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds * 1000 : 0;
  const budgetMs = toolBudgetMs(functionTimeoutMs);

  if (isSet(env.SESSION_MODE) && env.SESSION_MODE.trim() !== 'stateless') {
    problems.push(`SESSION_MODE: functions keep nothing between invocations, so only stateless is supported (got ${JSON.stringify(env.SESSION_MODE)}); use the load-balanced pattern for sessions`);
  }
  if (!isSet(env.AUTH_MODE)) {
    problems.push('AUTH_MODE: required for a function reachable from the internet; set apikey (with API_KEYS), jwt (with JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE), or none on purpose');
  }

  const defaults: Record<string, string> = { SESSION_MODE: 'stateless', ALLOWED_HOSTS: '*' };
  if (functionTimeoutMs > 0) defaults.REQUEST_TIMEOUT_MS = String(Math.max(100, budgetMs));
  const effective: Record<string, string | undefined> = { ...env };
  for (const [name, value] of Object.entries(defaults)) if (!isSet(env[name])) effective[name] = value;

  let config: Config | undefined;
  try {
    config = loadConfig(effective);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (config && functionTimeoutMs > 0 && config.requestTimeoutMs > budgetMs) {
    problems.push(
      `REQUEST_TIMEOUT_MS: ${config.requestTimeoutMs} ms does not end before the function timeout of ${functionTimeoutMs / 1000} s ` +
        `(at most ${budgetMs} ms leaves time to answer); lower it, raise FUNCTION_TIMEOUT_SECONDS with the function's timeout, or split the work (README: "Long work")`,
    );
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return { config, functionTimeoutMs };
}
