import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';
import { JSONRPC, jsonRpcError } from '../http/errors.js';

/** How much of a refused body is read on and dropped, and for how long, so the connection can carry the next request. */
export interface DrainBounds {
  maxBytes: number;
  maxMs: number;
}
const DRAIN: DrainBounds = { maxBytes: 64 * 1024 * 1024, maxMs: 5000 };

/**
 * Reads the rest of a refused body without keeping it. True when it ended within the bounds: the
 * connection is then clean for the client's next request. Otherwise the reading is cancelled and
 * the answer must close the connection, since unread bytes of this body would come first on it.
 */
async function drained(reader: ReadableStreamDefaultReader<Uint8Array>, bounds: DrainBounds): Promise<boolean> {
  let size = 0;
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    void reader.cancel().catch(() => undefined);
  }, bounds.maxMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (late) return false;
      if (done) return true;
      size += value.byteLength;
      if (size > bounds.maxBytes) {
        await reader.cancel().catch(() => undefined);
        return false;
      }
    }
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads the request body once into bytes (the MCP handler gets a Request rebuilt from them, so
 * the body is read here and nowhere else; hono's own body limit only counts), refusing it with
 * 413 as soon as it is known to exceed `maxBytes` (declared Content-Length, or counted while
 * streaming a chunked body), before any parsing. The refused rest is read and dropped before the
 * answer (within bounds, as nginx's lingering close does after it): a client that sends its next
 * request on the same connection then finds it open, and one still uploading is not cut off
 * before it can read the 413.
 */
export function bodyLimit({ maxBytes = 1024 * 1024, drain = DRAIN }: { maxBytes?: number; drain?: DrainBounds } = {}): MiddlewareHandler<AppEnv> {
  return async function bodyLimitMiddleware(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    // `clean`: the refused body was read to its end. If not, the connection cannot carry another
    // request, and the answer says so.
    const tooLarge = (clean: boolean) =>
      jsonRpcError(c, 413, JSONRPC.serverError, `Request body exceeds ${maxBytes} bytes`, clean ? {} : { connection: 'close' });
    const unreadable = (error: unknown) => {
      // The client hung up mid-body or sent broken chunking: its fault, not the server's, and
      // most likely nobody is left to read this answer.
      c.var.log.debug({ err: error }, 'request body could not be read');
      return jsonRpcError(c, 400, JSONRPC.parseError, 'Request body could not be read completely');
    };
    const length = c.req.header('content-length');
    const declared = length === undefined ? Number.NaN : Number(length);
    if (Number.isFinite(declared) && c.req.header('transfer-encoding') === undefined) {
      // The HTTP parser holds the body to its declared length: it is read whole, in one go (on
      // Node without building a web stream), or refused, without being kept, when too large.
      if (declared > maxBytes) {
        const body = c.req.raw.body;
        // Too large even to drop: answered at once, and the connection closed.
        if (declared > drain.maxBytes) {
          await body?.cancel().catch(() => undefined);
          return tooLarge(false);
        }
        return tooLarge(!body || (await drained(body.getReader(), drain)));
      }
      const read = await c.req.raw.arrayBuffer().then(
        (bytes) => ({ bytes }),
        (error: unknown) => ({ error }),
      );
      if ('error' in read) return unreadable(read.error);
      c.set('body', new Uint8Array(read.bytes));
      return next();
    }
    const stream = c.req.raw.body;
    if (!stream) return next();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = stream.getReader();
    for (;;) {
      const read = await reader.read().catch((error: unknown) => ({ error }));
      if ('error' in read) return unreadable(read.error);
      const { done, value } = read;
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) return tooLarge(await drained(reader, drain));
      chunks.push(value);
    }
    const body = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.set('body', body);
    return next();
  };
}
