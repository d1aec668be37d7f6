import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { findFirst, sources, type SourceFile } from '../readers/source.js';

/** Code that retries: a retry/backoff routine or a client's reconnect strategy. */
const RETRY = /\b(?:retry(?!After)|retries|withRetry|backoff|reconnectStrategy|retryStrategy)\w*\b/i;
/** Delays that grow with each attempt; only those need a cap (a fixed, jittered interval is bounded already). */
const GROWING = /\*\*|Math\.pow\s*\(|<<|\battempt\w*\s*\*|\*\s*attempt\w*|\btimes\s*\*|\*\s*times\b/i;

export const resilienceConnectionRetry: Check = {
  item: checklistItem('resilience.connection-retry'),
  async static(ctx) {
    const code = await sources(ctx);
    // Words in messages ("retry later") and Retry-After handling are not retry logic.
    const candidates = code.filter(
      (file) => RETRY.test(withoutStrings(file.code)) && /setTimeout|sleep|delay|wait/i.test(file.code),
    );
    if (candidates.length === 0) {
      return conclude('', {
        failures: [
          {
            message: `No retry logic found in src/: a dependency's transient failure of the ${ctx.manifest.pattern} pattern fails the call outright`,
            file: 'src',
            remediation:
              'Retry connections to backends and the store with capped exponential backoff and full jitter, and never retry 4xx responses or unsafe operations (e.g. src/resilience/retry.ts).',
          },
        ],
      });
    }
    // Judged file by file: a cap in one file and jitter in another do not make one sound retry.
    const judged = candidates
      .map((file) => ({ file, ...judge(file) }))
      .sort((a, b) => a.failures.length - b.failures.length || a.warnings.length - b.warnings.length);
    const best = judged[0];
    if (best && best.failures.length === 0) {
      return conclude(`Retries with capped, jittered backoff in ${best.file.file}`, {
        failures: [],
        warnings: best.warnings,
      });
    }
    return conclude('', {
      failures: judged.flatMap((entry) => entry.failures),
      warnings: judged.flatMap((entry) => entry.warnings),
    });
  },
};

function judge(file: SourceFile): { failures: Finding[]; warnings: Finding[] } {
  const failures: Finding[] = [];
  const warnings: Finding[] = [];
  const at = { file: file.file, line: findFirst([file], RETRY)?.line };
  if (!/Math\.random\s*\(|jitter/i.test(file.code)) {
    failures.push({
      message: `Retries in ${file.file} have no jitter: clients retry in lockstep and hammer a recovering dependency`,
      ...at,
      remediation: `Randomise each delay (full jitter: Math.random() * capped backoff) in ${file.file}.`,
    });
  }
  if (GROWING.test(file.code) && !/Math\.min\s*\(|max(?:Delay|Backoff|Wait)\w*/i.test(file.code)) {
    failures.push({
      message: `Retries in ${file.file} have no delay cap: backoff grows without bound`,
      ...at,
      remediation: `Cap the delay (Math.min(maxDelay, base * 2 ** attempt)) in ${file.file}.`,
    });
  }
  if (!/max(?:Attempts|Retries)|attempts|retries\s*[<>]=?|attempt\s*[<>]=?/i.test(file.code)) {
    failures.push({
      message: `Retries in ${file.file} have no attempt limit`,
      ...at,
      remediation: `Stop after a fixed number of attempts in ${file.file}.`,
    });
  }
  // Only HTTP retries have status codes to tell apart; a database or Redis reconnect has none.
  const http = /\bfetch\s*\(|\bResponse\b|\.status\b|statusCode/.test(file.code);
  if (http && !/\b4\d\d\b|status\w*\s*[<>]=?\s*500|retryable|isRetryable|shouldRetry|transient/i.test(file.code)) {
    warnings.push({
      message: `Retries in ${file.file} do not visibly exclude 4xx responses`,
      ...at,
      remediation: `Retry only network errors, 5xx and 429 (honouring Retry-After); never 4xx, in ${file.file}.`,
    });
  }
  return { failures, warnings };
}

/** Code with string and template literals emptied. */
function withoutStrings(code: string): string {
  return code.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
}
