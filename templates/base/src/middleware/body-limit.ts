import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';
import { JSONRPC, jsonRpcError } from '../http/errors.js';

/**
 * Reads the request body once into bytes (the MCP handler gets a Request rebuilt from them, so
 * the body is read here and nowhere else; hono's own body limit only counts), refusing it with
 * 413 as soon as it is known to exceed `maxBytes` (declared Content-Length, or counted while
 * streaming a chunked body), before any parsing.
 */
export function bodyLimit({ maxBytes = 1024 * 1024 }: { maxBytes?: number } = {}): MiddlewareHandler<AppEnv> {
  return async function bodyLimitMiddleware(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    // The rest of the body is never read, so the connection cannot carry another request: the
    // answer says so (Connection: close), or a client could reuse it as the server closes it.
    const tooLarge = () => jsonRpcError(c, 413, JSONRPC.serverError, `Request body exceeds ${maxBytes} bytes`, { connection: 'close' });
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
      // Node without building a web stream), and refused unread when it is too large.
      if (declared > maxBytes) {
        await c.req.raw.body?.cancel().catch(() => undefined);
        return tooLarge();
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
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return tooLarge();
      }
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
