import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

/** What the SDK puts on the wire for a thrown error: its code, message and data. */
export class WireError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
    this.name = 'WireError';
  }
}

/**
 * A backend's JSON-RPC error, passed on exactly as the backend sent it. The SDK client prefixes
 * received messages with "MCP error <code>: "; sending that on would prefix it twice, and the
 * client would see something the backend never said.
 */
export function toWireError(error: unknown): Error {
  if (error instanceof McpError) {
    const prefix = `MCP error ${error.code}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    return new WireError(error.code, message, error.data);
  }
  if (error instanceof WireError) return error;
  // Anything else is ours: say what failed without leaking a stack or internal detail.
  return new WireError(ErrorCode.InternalError, `Gateway error: ${error instanceof Error ? error.message : String(error)}`);
}
