import { describe, expect, it } from 'vitest';
import { check, messages, project, replaceInSources } from './helpers.js';

const ID = 'observability.tracing';

describe(ID, () => {
  it('passes with an OTLP exporter started from the entry point', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails when OTEL_EXPORTER_OTLP_ENDPOINT is never read', async () => {
    const target = await project();
    await replaceInSources(target, /OTEL_EXPORTER_OTLP_ENDPOINT/, 'TRACES_URL');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('OTEL_EXPORTER_OTLP_ENDPOINT is never read');
  });

  it('fails without an OTLP exporter', async () => {
    const target = await project();
    await replaceInSources(target, /@opentelemetry\/exporter-trace-otlp-http/, '@opentelemetry/sdk-trace-base');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('No OTLP trace exporter');
  });

  it('fails when nothing reachable from the entry point loads tracing', async () => {
    const target = await project();
    await replaceInSources(target, /(['"])((?:\.{1,2}\/)+(?:observability\/)?)tracing\.js\1/, '$1$2untraced.js$1');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('never loads it');
  });

  it('fails when incoming traceparent is not continued', async () => {
    const target = await project();
    await replaceInSources(target, /propagation\s*\.\s*extract\s*\(/, 'propagation.inject(');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('traceparent');
  });
});
