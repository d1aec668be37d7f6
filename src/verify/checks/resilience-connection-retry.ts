import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { sources } from '../project.js';
import { findFirst } from '../source.js';

/** Code that retries: a retry/backoff routine or a client's reconnect strategy. */
const RETRY = /\b(?:retry|retries|withRetry|backoff|reconnectStrategy|retryStrategy)\w*\b/i;

export const resilienceConnectionRetry: Check = {
  item: checklistItem('resilience.connection-retry'),
  async static(ctx) {
    const code = await sources(ctx);
    const candidates = code.filter((file) => RETRY.test(file.code) && /setTimeout|sleep|delay|wait/i.test(file.code));
    if (candidates.length === 0) {
      return conclude('', {
        failures: [{
          message: `No retry logic found in src/: a dependency's transient failure of the ${ctx.manifest.pattern} pattern fails the call outright`,
          file: 'src',
          remediation: 'Retry connections to backends and the store with capped exponential backoff and full jitter, and never retry 4xx responses or unsafe operations (e.g. src/resilience/retry.ts).',
        }],
      });
    }
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const files = candidates.map((file) => file.file).join(', ');
    const [first] = candidates;
    const line = first ? findFirst([first], RETRY)?.line : undefined;
    const at = { file: first?.file, line };
    if (!candidates.some((file) => /Math\.random\s*\(|jitter/i.test(file.code))) {
      failures.push({ message: `Retries in ${files} have no jitter: clients retry in lockstep and hammer a recovering dependency`, ...at, remediation: `Randomise each delay (full jitter: Math.random() * capped backoff) in ${first?.file ?? 'the retry helper'}.` });
    }
    if (!candidates.some((file) => /Math\.min\s*\(|max(?:Delay|Backoff|Wait)\w*/i.test(file.code))) {
      failures.push({ message: `Retries in ${files} have no delay cap: backoff grows without bound`, ...at, remediation: `Cap the delay (Math.min(maxDelay, base * 2 ** attempt)) in ${first?.file ?? 'the retry helper'}.` });
    }
    if (!candidates.some((file) => /max(?:Attempts|Retries)|attempts|retries\s*[<>]=?|attempt\s*[<>]=?/i.test(file.code))) {
      failures.push({ message: `Retries in ${files} have no attempt limit`, ...at, remediation: `Stop after a fixed number of attempts in ${first?.file ?? 'the retry helper'}.` });
    }
    if (!candidates.some((file) => /\b4\d\d\b|status\w*\s*[<>]=?\s*500|retryable|isRetryable|shouldRetry|transient/i.test(file.code))) {
      warnings.push({ message: `Retries in ${files} do not visibly exclude 4xx responses`, ...at, remediation: `Retry only network errors, 5xx and 429 (honouring Retry-After); never 4xx, in ${first?.file ?? 'the retry helper'}.` });
    }
    return conclude(`Retries with capped, jittered backoff in ${files}`, { failures, warnings });
  },
};
