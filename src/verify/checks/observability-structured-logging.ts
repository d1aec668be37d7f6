import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { samLogRetentionFindings, samTemplate } from '../sam.js';
import { probeLogs } from '../live/logging.js';
import { APP_FILE, ENV_EXAMPLE, envExample, middlewareWiring, sources } from '../project.js';
import { balancedArgs, declarationOf, findAll, findFirst } from '../source.js';

const LOGGER_FILE = 'src/observability/logger.ts';

export const observabilityStructuredLogging: Check = {
  item: checklistItem('observability.structured-logging'),
  live: probeLogs,
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const code = await sources(ctx);

    const pinoImport = findFirst(code, /from\s+['"]pino['"]|require\(\s*['"]pino['"]\s*\)/);
    if (!pinoImport) {
      failures.push({ message: 'No pino logger in src/: logs are not JSON lines', file: LOGGER_FILE, remediation: `Create the logger with pino in ${LOGGER_FILE} (JSON to stdout, redact secrets).` });
    } else {
      const file = code.find((candidate) => candidate.file === pinoImport.file);
      const calls = file ? findAll([file], /\bpino\s*\(/) : [];
      const options = calls.map((call) => balancedArgs(file?.code ?? '', (file?.code ?? '').indexOf('(', call.index)) ?? '');
      const redact = options.find((args) => /\bredact\b/.test(args));
      if (calls.length === 0) {
        failures.push({ message: `${pinoImport.file} imports pino but never creates a logger`, file: pinoImport.file, line: pinoImport.line, remediation: `Create the logger with pino({ ... }) in ${pinoImport.file}.` });
      } else if (!redact) {
        failures.push({ message: `The pino logger in ${pinoImport.file} has no redact option: credentials in headers end up in the logs`, file: pinoImport.file, line: calls[0]?.line, remediation: `Pass redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', ...], censor: '[redacted]' } to pino() in ${pinoImport.file}.` });
      } else if (!/authorization/i.test(withDeclarations(file?.code ?? '', redact))) {
        failures.push({ message: `The pino redact list in ${pinoImport.file} does not cover the Authorization header`, file: pinoImport.file, line: calls[0]?.line, remediation: `Add the authorization header path to redact in ${pinoImport.file}.` });
      }
    }

    const requestId = await middlewareWiring(ctx, /request-?id/i);
    if (!requestId.usedIn) {
      failures.push({ message: 'No request-id middleware used in the app: log lines of one request cannot be correlated', file: APP_FILE, remediation: `Use a request-id middleware (src/middleware/request-id.ts: honour or generate X-Request-Id, bind it to a child logger) in ${APP_FILE}.` });
    }

    for (const call of findAll(code, /\bconsole\.(?:log|info|warn|error|debug)\s*\(/)) {
      warnings.push({ message: `console output in ${call.file} is not structured JSON`, file: call.file, line: call.line, remediation: `Log through the pino logger instead of console in ${call.file}.` });
    }
    const env = await envExample(ctx);
    if (env && !env.has('LOG_LEVEL')) {
      warnings.push({ message: `LOG_LEVEL is not listed in ${ENV_EXAMPLE}`, file: ENV_EXAMPLE, remediation: `Add LOG_LEVEL=info to ${ENV_EXAMPLE}.` });
    }

    const sam = await samTemplate(ctx);
    if (sam) warnings.push(...samLogRetentionFindings(sam));
    return conclude('pino JSON logs with secret redaction and a request id on every line', { failures, warnings });
  },
};

/** The redact option plus the constants it names (e.g. `paths: REDACTED_PATHS`). */
function withDeclarations(code: string, options: string): string {
  const names = [...options.matchAll(/\b([A-Za-z_$][\w$]*)\b/g)].map((match) => match[1] as string);
  return [options, ...names.map((name) => declarationOf(code, name) ?? '')].join('\n');
}
