import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { samTemplate, samThrottlingFindings } from '../sam.js';
import { probeRateLimiting } from '../live/rate-limiting.js';
import { APP_FILE, ENV_EXAMPLE, envExample, middlewareWiring, replicas } from '../project.js';

export const securityRateLimiting: Check = {
  item: checklistItem('security.rate-limiting'),
  live: probeRateLimiting,
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const env = await envExample(ctx);
    const rps = env?.get('RATE_LIMIT_RPS');
    if (!rps) {
      failures.push({ message: `RATE_LIMIT_RPS is not listed in ${ENV_EXAMPLE}`, file: ENV_EXAMPLE, remediation: `Add RATE_LIMIT_RPS=<requests per second per client> to ${ENV_EXAMPLE}.` });
    } else if (!(Number(rps.value) > 0)) {
      failures.push({ message: `RATE_LIMIT_RPS in ${ENV_EXAMPLE} is "${rps.value}": no limit applies`, file: ENV_EXAMPLE, line: rps.line, remediation: `Set RATE_LIMIT_RPS to a positive number in ${ENV_EXAMPLE}.` });
    }

    const wiring = await middlewareWiring(ctx, /rate/i);
    if (!wiring.module) {
      failures.push({ message: 'No rate-limit middleware in src/middleware/', file: 'src/middleware/rate-limit.ts', remediation: 'Add src/middleware/rate-limit.ts (429 with Retry-After) and use it on /mcp in src/app.ts.' });
    } else {
      const { file, code } = wiring.module;
      if (!wiring.usedIn) {
        failures.push({ message: `${file} is not used in ${APP_FILE}: no request is ever limited`, file: APP_FILE, remediation: `Import the rate limiter from ${file} and app.use() it on /mcp in ${APP_FILE}.` });
      }
      if (!/\b429\b/.test(code)) {
        failures.push({ message: `${file} never answers 429`, file, remediation: `Answer 429 Too Many Requests when the limit is exceeded in ${file}.` });
      }
      if (!/retry-after/i.test(code)) {
        failures.push({ message: `${file} sends no Retry-After: clients retry immediately and keep hitting the limit`, file, remediation: `Send Retry-After (seconds) with every 429 in ${file}.` });
      }
      if (/x-forwarded-for/i.test(code) && !/trust/i.test(code)) {
        warnings.push({ message: `${file} keys limits on X-Forwarded-For without a trusted-proxy setting: rotating the header bypasses the limit`, file, line: await ctx.lineOf(file, /x-forwarded-for/i), remediation: `Key limits on the authenticated identity or the socket address in ${file}; read X-Forwarded-For only from a configured trusted proxy.` });
      }
    }

    const instances = await replicas(ctx);
    if (instances.max > 1 && ctx.manifest.store === 'memory' && ctx.manifest.pattern !== 'serverless') {
      warnings.push({ message: `Limits are kept in memory while several instances run (${instances.evidence.join('; ')}): the effective limit is multiplied by the replica count`, remediation: 'Keep rate-limit counters in the shared store (regenerate with --store redis or --store database, which share limits across replicas).' });
    }

    const sam = await samTemplate(ctx);
    if (sam) failures.push(...samThrottlingFindings(sam));
    return conclude(`Rate limiting wired in ${APP_FILE} at ${rps?.value ?? '?'} requests/s per client, 429 with Retry-After`, { failures, warnings });
  },
};
