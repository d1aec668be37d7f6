import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';
import { JSONRPC, jsonRpcError } from '../http/errors.js';

/**
 * Reads the request body once into bytes (the MCP handler gets a Request rebuilt from them, so
 * the body is read here and nowhere else; hono's own body limit only counts), refusing it with 413 as soon as it is known to exceed
 * `maxBytes` (declared Content-Length, or counted while streaming), before any parsing.
 */
export function bodyLimit({ maxBytes = 1024 * 1024 }: { maxBytes?: number } = {}): MiddlewareHandler<AppEnv> {
  return async function bodyLimitMiddleware(c, next) {
    const stream = c.req.raw.body;
    if (!stream) return next();
    const tooLarge = () => jsonRpcError(c, 413, JSONRPC.serverError, `Request body exceeds ${maxBytes} bytes`);
    const declared = Number(c.req.header('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await stream.cancel().catch(() => undefined);
      return tooLarge();
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = stream.getReader();
    for (;;) {
      const read = await reader.read().catch((error: unknown) => ({ error }));
      if ('error' in read) {
        // The client hung up mid-body or sent broken chunking: its fault, not the server's, and
        // most likely nobody is left to read this answer.
        c.var.log.debug({ err: read.error }, 'request body could not be read');
        return jsonRpcError(c, 400, JSONRPC.parseError, 'Request body could not be read completely');
      }
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
