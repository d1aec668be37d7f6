import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';

/**
 * Serves a merged list page by page. The cursor is opaque to clients (an encoded offset into
 * the cached list); an invalid one is an InvalidParams error, as the spec asks.
 */
export function paginate<T>(items: T[], cursor: string | undefined, pageSize: number): { page: T[]; nextCursor?: string } {
  let start = 0;
  if (cursor !== undefined) {
    const decoded = /^o(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    start = decoded ? Number(decoded[1]) : -1;
    if (start < 0 || start > items.length) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid cursor: ${cursor}; list again without a cursor`);
  }
  const end = start + pageSize;
  return { page: items.slice(start, end), ...(end < items.length ? { nextCursor: Buffer.from(`o${end}`).toString('base64url') } : {}) };
}
