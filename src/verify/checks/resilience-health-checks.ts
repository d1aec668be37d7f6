import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { probeHealth } from '../live/health.js';
import { sources } from '../project.js';
import { routes, routesFor, type SourceFile } from '../source.js';

/** Names that show readiness depends on draining or on a dependency. */
const READINESS_STATE = /\b(?:draining|isDraining|shuttingDown|isShuttingDown|closing|ready|isReady|readiness|ping|check\w*)\b/;

export const resilienceHealthChecks: Check = {
  item: checklistItem('resilience.health-checks'),
  live: probeHealth,
  async static(ctx) {
    const { healthPath, readyPath } = ctx.manifest.start;
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const code = await sources(ctx);
    const all = routes(code);
    const [health] = routesFor(all, healthPath);
    const [ready] = routesFor(all, readyPath);

    if (!health) failures.push({ message: `No GET ${healthPath} (liveness) route in src/`, file: 'src/app.ts', remediation: `Serve GET ${healthPath} in src/app.ts: 200 while the process can serve, without touching dependencies.` });
    if (!ready) failures.push({ message: `No GET ${readyPath} (readiness) route in src/`, file: 'src/app.ts', remediation: `Serve GET ${readyPath} in src/app.ts: 503 while draining or while a required dependency is down.` });

    if (health && ready) {
      if (healthPath === readyPath || normalise(health.handler) === normalise(ready.handler)) {
        failures.push({ message: `${healthPath} and ${readyPath} answer the same way: readiness never reflects draining or dependencies`, file: ready.file, line: ready.line, remediation: `Make ${readyPath} in ${ready.file} report 503 while draining or while the store/backends are down; keep ${healthPath} a plain liveness answer.` });
      } else {
        const readinessCode = handlerScope(code, ready.file, ready.handler);
        if (!/\b503\b/.test(readinessCode)) {
          failures.push({ message: `${readyPath} never answers 503: a draining or disconnected instance keeps receiving traffic`, file: ready.file, line: ready.line, remediation: `Answer 503 from ${readyPath} (in ${ready.file}) while shutting down or while a required dependency is unreachable.` });
        } else if (!READINESS_STATE.test(ready.handler)) {
          warnings.push({ message: `The ${readyPath} handler does not visibly consult draining state or dependencies`, file: ready.file, line: ready.line, remediation: `Derive ${readyPath} from the shutdown state and dependency checks in ${ready.file}.` });
        }
      }
    }

    return conclude(`${healthPath} answers liveness; ${readyPath} answers readiness and reports 503 when not ready`, { failures, warnings });
  },
};

function normalise(handler: string): string {
  return handler.replace(/\s+/g, '');
}

/**
 * Code that decides the readiness answer: the handler itself, plus the module that defines the
 * function it delegates to (e.g. `readiness(c)` imported from a health module).
 */
function handlerScope(code: readonly SourceFile[], file: string, handler: string): string {
  const parts = [handler];
  const own = code.find((candidate) => candidate.file === file);
  for (const match of handler.matchAll(/\b([A-Za-z_$][\w$]*)\s*\(/g)) {
    const name = match[1] as string;
    const definition = new RegExp(`(?:function\\s+${name}\\b|(?:const|let)\\s+${name}\\s*=|\\b${name}\\s*\\([^)]*\\)\\s*(?::[^{]+)?\\{)`);
    for (const candidate of code) {
      if (definition.test(candidate.code) && (candidate.file === own?.file || new RegExp(`export[^\\n]*\\b${name}\\b`).test(candidate.code))) {
        parts.push(candidate.code);
      }
    }
  }
  return parts.join('\n');
}
