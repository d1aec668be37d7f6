import { isInputRequiredResult, type CallToolResult, type InputRequiredResult, type ServerContext } from '@modelcontextprotocol/server';
import type { Logger } from '../observability/logger.js';
import type { Metrics, ToolOutcome } from '../observability/metrics.js';
import { currentRequestContext } from '../observability/request-context.js';
import type { ToolInstrument } from '../observability/tracing.js';

/** The SDK's context of one tool call (request id, `_meta`, signal, notify). */
export type ToolExtra = ServerContext;

/** What a tool returns: its result, or (2026-07-28) a request for input the client answers before retrying. */
export type ToolResult = CallToolResult | InputRequiredResult;

/** Runs one tool call: `signal` aborts on client cancellation, on the call timeout and when the exchange ends. */
export type ToolRunner = (tool: string, extra: ToolExtra, handler: (signal: AbortSignal) => Promise<ToolResult>) => Promise<ToolResult>;

/** An error whose message is meant for the caller; any other error is reported without details. */
export class ToolError extends Error {
  override name = 'ToolError';
}

export interface ToolRunnerOptions {
  metrics: Metrics;
  logger: Logger;
  timeoutMs: number;
  instrument?: ToolInstrument;
}

export function createToolRunner({ metrics, logger, timeoutMs, instrument }: ToolRunnerOptions): ToolRunner {
  return async function runTool(tool, extra, handler) {
    const started = performance.now();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([extra.mcpReq.signal, timeout]);
    const context = currentRequestContext();
    const log = (context?.log ?? logger).child({ tool });
    let outcome: ToolOutcome = 'success';

    const call = async (): Promise<ToolResult> => {
      try {
        const result = await untilAborted(handler(signal), signal);
        if (isInputRequiredResult(result)) outcome = 'input_required';
        else if ('isError' in result && result.isError) outcome = 'error';
        return result;
      } catch (error) {
        if (timeout.aborted) {
          outcome = 'timeout';
          log.warn({ timeoutMs }, 'tool call timed out');
          return errorResult(`Tool ${tool} timed out after ${timeoutMs} ms`);
        }
        if (extra.mcpReq.signal.aborted) {
          outcome = 'cancelled';
          log.info('tool call cancelled');
          throw error;
        }
        outcome = 'error';
        if (error instanceof ToolError) return errorResult(error.message);
        log.error({ err: error }, 'tool call failed');
        return errorResult(`Tool ${tool} failed${context ? ` (request id ${context.requestId})` : ''}`);
      }
    };

    try {
      return await (instrument ? instrument(tool, call, extra.mcpReq._meta) : call());
    } finally {
      const seconds = (performance.now() - started) / 1000;
      metrics.toolCalls.inc({ tool, outcome });
      metrics.toolDuration.observe({ tool, outcome }, seconds);
    }
  };
}

function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/** A handler that ignores its signal must still not outlive the timeout. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
