import { setTimeout as sleep } from 'node:timers/promises';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import { TRACEPARENT_META_KEY, TRACESTATE_META_KEY, type CallToolResult, type InputRequiredResult, type RequestMeta } from '@modelcontextprotocol/server';
import type { MiddlewareHandler } from 'hono';
import { onResponseEnd } from '../http/response-end.js';
import { routeLabel } from '../http/route.js';

/**
 * Wraps every tool call, e.g. in a tracing span; `meta` is the request's `_meta`, whose
 * `traceparent` (when present) names the caller's span. A call ends with its result or
 * (2026-07-28) a request for input.
 */
export type ToolInstrument = (tool: string, run: () => Promise<CallToolResult | InputRequiredResult>, meta?: RequestMeta) => Promise<CallToolResult | InputRequiredResult>;

export interface Tracing {
  middleware: MiddlewareHandler;
  instrumentTool: ToolInstrument;
  shutdown(): Promise<void>;
}

/** Spans still queued at shutdown get this long to reach the collector; a dead collector must not stall the drain. */
const FLUSH_TIMEOUT_MS = 2000;

/** The `_meta` keys MCP reserves for W3C trace context are the propagator's own field names. */
const metaGetter: TextMapGetter<RequestMeta> = {
  get: (meta, key) => {
    const value = meta[key];
    return typeof value === 'string' ? value : undefined;
  },
  keys: () => [TRACEPARENT_META_KEY, TRACESTATE_META_KEY],
};

/**
 * The parent of a tool span: the trace context a client put in the request's `_meta`
 * (`traceparent`, MCP 2026-07-28) wins over the HTTP request's span (from the `traceparent` header).
 */
function parentContext(meta: RequestMeta | undefined) {
  const active = context.active();
  if (typeof meta?.[TRACEPARENT_META_KEY] !== 'string') return active;
  const extracted = propagation.extract(ROOT_CONTEXT, meta, metaGetter);
  return trace.getSpanContext(extracted) ? extracted : active;
}

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/**
 * Loaded with a dynamic import only when OTEL_EXPORTER_OTLP_ENDPOINT is set, so a server
 * without tracing never loads the OpenTelemetry SDK.
 */
export function setupTracing({ endpoint, serviceName }: { endpoint: URL; serviceName: string }): Tracing {
  const exporter = new OTLPTraceExporter({ url: new URL('v1/traces', withTrailingSlash(endpoint)).href, timeoutMillis: 5000 });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  // Registers the W3C propagator and async context; spans use this provider's own tracer so
  // that several servers in one process (tests) never share a global one.
  provider.register();
  const tracer = provider.getTracer('mcp-server');
  return {
    middleware: tracingMiddleware(tracer),
    instrumentTool: (tool, run, meta) =>
      tracer.startActiveSpan(`tools/call ${tool}`, { kind: SpanKind.INTERNAL, attributes: { 'mcp.tool.name': tool } }, parentContext(meta), async (span) => {
        try {
          const result = await run();
          if ('isError' in result && result.isError) span.setStatus({ code: SpanStatusCode.ERROR });
          return result;
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
          throw error;
        } finally {
          span.end();
        }
      }),
    async shutdown() {
      const flushed = provider.shutdown().then(
        () => true,
        () => false,
      );
      if (!(await Promise.race([flushed, sleep(FLUSH_TIMEOUT_MS, false, { ref: false })]))) {
        throw new Error(`spans not exported within ${FLUSH_TIMEOUT_MS} ms; they are dropped`);
      }
    },
  };
}

function tracingMiddleware(tracer: Tracer): MiddlewareHandler {
  return async function tracing(c, next) {
    const parent = propagation.extract(ROOT_CONTEXT, c.req.raw.headers, headerGetter);
    const route = routeLabel(c);
    const span = tracer.startSpan(
      `${c.req.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { [ATTR_HTTP_REQUEST_METHOD]: c.req.method, [ATTR_URL_PATH]: c.req.path, [ATTR_HTTP_ROUTE]: route },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      throw error;
    }
    const status = c.res.status;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    onResponseEnd(c, () => span.end());
  };
}

function withTrailingSlash(url: URL): URL {
  return url.pathname.endsWith('/') ? url : new URL(`${url.href}/`);
}
