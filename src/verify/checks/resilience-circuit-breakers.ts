import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { probeCircuitBreaker } from '../live/breaker.js';
import { sources } from '../project.js';
import { findFirst } from '../source.js';

const BREAKER = /circuit\s*-?\s*breaker|CircuitBreaker|\bbreaker\b/i;
const LIBRARY = /from\s+['"](?:opossum|cockatiel)['"]/;

export const resilienceCircuitBreakers: Check = {
  item: checklistItem('resilience.circuit-breakers'),
  live: probeCircuitBreaker,
  async static(ctx) {
    const code = await sources(ctx);
    const library = findFirst(code, LIBRARY);
    if (library) {
      return conclude(`Circuit breaker from a library in ${library.file}`, { failures: [] });
    }
    const candidates = code.filter((file) => BREAKER.test(file.code) && /\bopen\b|['"]open['"]|isOpen|OPEN/.test(file.code));
    if (candidates.length === 0) {
      return conclude('', {
        failures: [{
          message: `No circuit breaker found in src/: a dead dependency of the ${ctx.manifest.pattern} pattern is hit on every call and slows every client`,
          file: 'src',
          remediation: 'Wrap calls to each backend or store in a circuit breaker (closed -> open after N failures -> half-open probe after a cool-down), e.g. src/resilience/circuit-breaker.ts.',
        }],
      });
    }
    const failures: Finding[] = [];
    const [first] = candidates;
    const files = candidates.map((file) => file.file).join(', ');
    const at = { file: first?.file, line: first ? findFirst([first], BREAKER)?.line : undefined };
    if (!candidates.some((file) => /half[-_\s]?open|halfOpen|HALF_OPEN/i.test(file.code))) {
      failures.push({ message: `The breaker in ${files} has no half-open state: once open it never tests whether the dependency recovered`, ...at, remediation: `After a cool-down, let one probe through (half-open) and close on success, in ${first?.file ?? 'the breaker'}.` });
    }
    if (!candidates.some((file) => /threshold|maxFailures|failures\s*[<>]=?|failureCount/i.test(file.code))) {
      failures.push({ message: `The breaker in ${files} has no failure threshold`, ...at, remediation: `Open the breaker after a configured number of consecutive failures in ${first?.file ?? 'the breaker'}.` });
    }
    return conclude(`Circuit breaker with open and half-open states in ${files}`, { failures });
  },
};
