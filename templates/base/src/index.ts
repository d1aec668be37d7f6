import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './observability/logger.js';
import { start, type RunningServer } from './start.js';

let config: Config;
try {
  loadEnvFile();
  config = loadConfig(process.env);
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Cannot read ${process.env.ENV_FILE ?? '.env'}: ${String(error)}`}\n`);
  process.exit(1);
}

const logger = createLogger(config.logLevel);

// Crash as Node would, but as a JSON log line like everything else.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error) => {
    logger.fatal({ err: error }, event);
    process.exit(1);
  });
}

let server: RunningServer;
try {
  server = await start(config, { logger });
} catch (error) {
  logger.fatal({ err: error }, 'cannot start');
  process.exit(1);
}

let stopping = false;
function onSignal(signal: NodeJS.Signals) {
  if (stopping) {
    logger.warn({ signal }, 'second signal during shutdown: exiting now');
    process.exit(1);
  }
  stopping = true;
  void server.shutdown(signal).then((clean) => process.exit(clean ? 0 : 1));
}

process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

/**
 * A local `.env` (or the file ENV_FILE names; ENV_FILE= turns this off) saves exporting
 * variables by hand during development. Variables already in the environment win, so a
 * deployment's own settings are never overridden by a stray file.
 */
function loadEnvFile(): void {
  const file = process.env.ENV_FILE;
  if (file === undefined) {
    if (existsSync('.env')) process.loadEnvFile('.env');
  } else if (file !== '') {
    process.loadEnvFile(file);
  }
}
