import type { RegionStatus } from './probe.js';

/** No region could serve: every one failed its health probe or its connection. */
export class AllRegionsDownError extends Error {
  constructor(readonly regions: RegionStatus[]) {
    super(
      `every region is unavailable: ${regions.map((r) => `${r.name} (${r.error ?? 'unhealthy'})`).join('; ')}. ` +
        'Check the URLs in regions.json and that the regions answer GET /health.',
    );
    this.name = 'AllRegionsDownError';
  }
}

/**
 * A call failed because its region failed after the request may already have run there.
 * It was not repeated elsewhere (the tool is not annotated read-only or idempotent, or retries
 * are off); the client has already moved on, so the next call goes to a healthy region.
 */
export class RegionCallError extends Error {
  constructor(
    readonly region: string,
    readonly operation: string,
    override readonly cause: unknown,
    why = 'it is not marked read-only or idempotent',
  ) {
    super(
      `${operation} failed in region ${region} (${describeError(cause)}) and may or may not have run there; ` +
        `it was not repeated in another region because ${why}. ` +
        'The next call goes to another region: repeat this one if that is safe.',
    );
    this.name = 'RegionCallError';
  }
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message;
  return detail && !error.message.includes(detail) ? `${error.message}: ${detail}` : error.message;
}
