import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIALIZE, mcpPost, modernRequest, startServer, type TestServer } from './helpers.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

/** An OTLP/HTTP receiver on loopback that keeps every span it is sent (JSON encoding). */
async function startReceiver(): Promise<{ url: string; spans: OtlpSpan[]; close: () => Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const payload = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const resource of payload.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const META_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const META_PARENT_ID = 'b7ad6b7169203331';

describe('OpenTelemetry tracing', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let server: TestServer;

  beforeAll(async () => {
    receiver = await startReceiver();
    server = await startServer({ AUTH_MODE: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('exports a server span that continues the incoming traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpanId = '00f067aa0ba902b7';
    const response = await mcpPost(server.mcpUrl, INITIALIZE, { traceparent: `00-${traceId}-${parentSpanId}-01` });
    expect(response.status).toBe(200);
    await response.text();
    const call = await mcpPost(server.mcpUrl, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'traced' } },
    }, { traceparent: `00-${traceId}-${parentSpanId}-01` });
    await call.text();
    const modern = modernRequest('tools/call', { name: 'add', arguments: { a: 1, b: 2 } }, 3, 'add');
    modern.body.params._meta.traceparent = `00-${META_TRACE_ID}-${META_PARENT_ID}-01`;
    const traced = await mcpPost(server.mcpUrl, modern.body, { ...modern.headers, traceparent: `00-${traceId}-${parentSpanId}-01` });
    expect(traced.status).toBe(200);
    await traced.text();

    // Shutdown flushes the batch processor.
    await server.close();

    const serverSpans = receiver.spans.filter((span) => span.traceId === traceId && span.name === 'POST /mcp');
    expect(serverSpans).toHaveLength(3);
    for (const span of serverSpans) {
      expect(span.parentSpanId).toBe(parentSpanId);
      expect(span.kind).toBe(2);
    }
    const toolSpan = receiver.spans.find((span) => span.name === 'tools/call echo' && span.traceId === traceId);
    expect(serverSpans.map((span) => span.spanId)).toContain(toolSpan?.parentSpanId);

    // 2026-07-28: the trace context in the request's _meta names the tool span's parent.
    const metaTrace = receiver.spans.find((span) => span.name === 'tools/call add');
    expect(metaTrace).toMatchObject({ traceId: META_TRACE_ID, parentSpanId: META_PARENT_ID });
  });
});

describe('OpenTelemetry tracing with the collector hanging', () => {
  it('does not hold up shutdown: queued spans are dropped after a bounded wait', async () => {
    const sockets = new Set<Socket>();
    const blackhole = createServer(() => undefined);
    blackhole.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const { port } = blackhole.address() as AddressInfo;
    const server = await startServer({ AUTH_MODE: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    await (await fetch(`${server.url}/health`)).text();

    const started = Date.now();
    expect(await server.shutdown('test')).toBe(true);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(server.logLines().some((line) => line.msg === 'shutdown: close failed' && line.closer === 'tracing')).toBe(true);
    expect(sockets.size).toBeGreaterThan(0);
    for (const socket of sockets) socket.destroy();
    blackhole.close();
  });
});
