/** Resolves when the dependency is usable; throws (or rejects) when it is not. It may name its state (e.g. a backend's). */
export type ReadinessCheck = () => Promise<void | ReadinessDetail> | void | ReadinessDetail;

export interface ReadinessDetail {
  /** A short state name shown in `/ready` (never an error message: `/ready` is unauthenticated). */
  state: string;
}

export interface ReadinessCheckOptions {
  /** A check that is not critical is reported but does not turn `/ready` into 503 (default true). */
  critical?: boolean;
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready' | 'draining';
  checks: Record<string, { ok: boolean; state?: string }>;
}

export interface Readiness {
  /** Stores and backends register here; `/ready` turns 503 while any check fails. */
  register(name: string, check: ReadinessCheck, options?: ReadinessCheckOptions): void;
  startDraining(): void;
  readonly draining: boolean;
  report(): Promise<ReadinessReport>;
}

export function createReadiness({ checkTimeoutMs = 2000, onFailure }: {
  checkTimeoutMs?: number;
  /** Details stay in the logs: `/ready` is unauthenticated and must not leak connection errors. */
  onFailure?: (name: string, error: unknown) => void;
} = {}): Readiness {
  const checks = new Map<string, { check: ReadinessCheck; critical: boolean }>();
  let draining = false;

  async function run(name: string, check: ReadinessCheck): Promise<{ ok: boolean; state?: string }> {
    try {
      const detail = await Promise.race([
        Promise.resolve().then(check),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${checkTimeoutMs} ms`)), checkTimeoutMs).unref()),
      ]);
      return typeof detail?.state === 'string' ? { ok: true, state: detail.state } : { ok: true };
    } catch (error) {
      onFailure?.(name, error);
      const state = (error as { state?: unknown } | undefined)?.state;
      return typeof state === 'string' ? { ok: false, state } : { ok: false };
    }
  }

  return {
    register(name, check, { critical = true } = {}) {
      checks.set(name, { check, critical });
    },
    startDraining() {
      draining = true;
    },
    get draining() {
      return draining;
    },
    async report() {
      const results = await Promise.all([...checks].map(async ([name, { check }]) => [name, await run(name, check)] as const));
      const allOk = results.every(([name, result]) => result.ok || !checks.get(name)?.critical);
      return {
        status: draining ? 'draining' : allOk ? 'ready' : 'not_ready',
        checks: Object.fromEntries(results),
      };
    },
  };
}
