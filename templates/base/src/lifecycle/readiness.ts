/** Resolves when the dependency is usable; throws (or rejects) when it is not. */
export type ReadinessCheck = () => Promise<void> | void;

export interface ReadinessReport {
  status: 'ready' | 'not_ready' | 'draining';
  checks: Record<string, { ok: boolean }>;
}

export interface Readiness {
  /** Stores and backends register here; `/ready` turns 503 while any check fails. */
  register(name: string, check: ReadinessCheck): void;
  startDraining(): void;
  readonly draining: boolean;
  report(): Promise<ReadinessReport>;
}

export function createReadiness({ checkTimeoutMs = 2000, onFailure }: {
  checkTimeoutMs?: number;
  /** Details stay in the logs: `/ready` is unauthenticated and must not leak connection errors. */
  onFailure?: (name: string, error: unknown) => void;
} = {}): Readiness {
  const checks = new Map<string, ReadinessCheck>();
  let draining = false;

  async function run(name: string, check: ReadinessCheck): Promise<boolean> {
    try {
      await Promise.race([
        Promise.resolve().then(check),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${checkTimeoutMs} ms`)), checkTimeoutMs).unref()),
      ]);
      return true;
    } catch (error) {
      onFailure?.(name, error);
      return false;
    }
  }

  return {
    register(name, check) {
      checks.set(name, check);
    },
    startDraining() {
      draining = true;
    },
    get draining() {
      return draining;
    },
    async report() {
      const results = await Promise.all([...checks].map(async ([name, check]) => [name, { ok: await run(name, check) }] as const));
      const allOk = results.every(([, result]) => result.ok);
      return {
        status: draining ? 'draining' : allOk ? 'ready' : 'not_ready',
        checks: Object.fromEntries(results),
      };
    },
  };
}
