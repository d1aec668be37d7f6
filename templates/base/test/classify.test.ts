import { classifyInboundRequest, type InboundClassificationOutcome, type InboundHttpRequest } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { createClassifier, type InboundPost } from '../src/mcp/classify.js';

const VERSION = 'io.modelcontextprotocol/protocolVersion';
const INFO = 'io.modelcontextprotocol/clientInfo';
const CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
const LEVEL = 'io.modelcontextprotocol/logLevel';
const envelope = { [VERSION]: '2026-07-28', [INFO]: { name: 'c', version: '1' }, [CAPABILITIES]: {} };

/** `params` of a request: absent, without `_meta`, or with one of these, valid or not. */
const PARAMS: (Record<string, unknown> | undefined)[] = [
  undefined,
  { name: 'echo' },
  { name: 'echo', _meta: {} },
  { name: 'echo', arguments: { text: 'x' }, _meta: envelope },
  { name: 'echo', _meta: { ...envelope, progressToken: 'p1' } },
  { name: 'echo', _meta: { ...envelope, progressToken: {} } },
  { name: 'echo', _meta: { ...envelope, [LEVEL]: 'debug' } },
  { name: 'echo', _meta: { ...envelope, [LEVEL]: 'loud' } },
  { name: 'echo', _meta: { [VERSION]: '2026-07-28', [CAPABILITIES]: {} } },
  { name: 'echo', _meta: { ...envelope, [VERSION]: '2025-11-25' } },
  { name: 'echo', _meta: { ...envelope, [VERSION]: 5 } },
  { name: 'echo', _meta: { ...envelope, [CAPABILITIES]: 'all' } },
  { name: 'echo', _meta: [] },
  { name: 'echo', _meta: null },
];
const METHODS = ['tools/call', 'tools/list', 'initialize', 'ping'];
const IDS: unknown[] = [1, 'a', 1.5, null, 2 ** 53, -(2 ** 53) + 1];
/** Bodies that are no single request. */
const OTHERS: unknown[] = [
  [{ jsonrpc: '2.0', id: 1, method: 'ping' }],
  { jsonrpc: '2.0', id: 1, result: {} },
  { jsonrpc: '2.0', id: 1, error: { code: -1, message: 'no' } },
  { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
  { jsonrpc: '2.0', method: 'notifications/cancelled', params: { _meta: envelope } },
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: [] },
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: null },
  { jsonrpc: '2.0', id: 1, method: 'tools/call', extra: true },
  { jsonrpc: '1.0', id: 1, method: 'tools/call' },
  { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } },
  null,
  'tools/call',
];
const HEADERS: Omit<InboundPost, 'body'>[] = [undefined, '2025-11-25', '2026-07-28', ' 2026-07-28\t'].flatMap((version) =>
  [undefined, 'tools/call', 'tools/list'].flatMap((method) =>
    [undefined, 'echo'].map((name) => ({ protocolVersionHeader: version, mcpMethodHeader: method, mcpNameHeader: name })),
  ),
);

/** A fresh copy: the classifier must not depend on the identity of what it saw before. */
const copy = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

function corpus(): InboundPost[] {
  const bodies: unknown[] = [...OTHERS];
  for (const method of METHODS)
    for (const id of IDS)
      for (const params of PARAMS) bodies.push({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
  return HEADERS.flatMap((headers) => bodies.map((body) => ({ ...headers, body })));
}

/** What an outcome says, comparable: a routed message by identity (the body itself), the rest by value. */
function said(outcome: InboundClassificationOutcome, body: unknown): unknown {
  if (outcome.kind !== 'modern') return outcome;
  const { message, ...rest } = outcome;
  return { ...rest, message: message === body };
}

describe('classifying a POST', () => {
  it('says what the SDK says, for the first request of a shape and for one remembered', () => {
    const classify = createClassifier();
    const posts = corpus();
    expect(posts.length).toBeGreaterThan(2000);
    for (const post of posts) {
      const expected = said(classifyInboundRequest({ httpMethod: 'POST', ...post }), post.body);
      expect(said(classify(post), post.body), JSON.stringify(post)).toEqual(expected);
      const again = { ...post, body: copy(post.body) };
      expect(said(classify(again), again.body), JSON.stringify(again)).toEqual(said(classifyInboundRequest({ httpMethod: 'POST', ...again }), again.body));
    }
  });

  it('asks the SDK once per shape of request, not once per request', () => {
    const asked: InboundHttpRequest[] = [];
    const classify = createClassifier((request) => (asked.push(request), classifyInboundRequest(request)));
    const headers = { protocolVersionHeader: '2026-07-28', mcpMethodHeader: 'tools/call', mcpNameHeader: 'echo' };
    const call = (id: number, meta: Record<string, unknown> = envelope) =>
      classify({ ...headers, body: { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: `call ${id}` }, _meta: meta } } });

    for (let id = 0; id < 100; id++) expect(call(id)).toMatchObject({ kind: 'modern', messageKind: 'request', message: { id } });
    expect(asked).toHaveLength(1);
    // The SDK saw the request's `_meta`, not its arguments.
    expect(asked[0]!.body).toEqual({ jsonrpc: '2.0', id: 0, method: 'tools/call', params: { _meta: envelope } });
    // Another `_meta` is another shape.
    call(100, { ...envelope, progressToken: 'p' });
    expect(asked).toHaveLength(2);
    // What it cannot tell from a shape the SDK classifies as it is, every time: here a body it refuses.
    const refused = { ...headers, body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { _meta: { ...envelope, [VERSION]: 5 } } } };
    expect(classify(refused).kind).toBe('reject');
    expect(classify(refused).kind).toBe('reject');
    // Each time: the skeleton, then the body as it is.
    expect(asked).toHaveLength(6);
  });

  it('remembers no shape longer than 4 KiB: a client cannot fill the memory with large `_meta`s', () => {
    let asked = 0;
    const classify = createClassifier((request) => (asked++, classifyInboundRequest(request)));
    const large = { ...envelope, note: 'x'.repeat(5000) };
    const post = () => classify({ protocolVersionHeader: '2026-07-28', mcpMethodHeader: 'tools/call', body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', _meta: large } } });
    expect(post()).toMatchObject({ kind: 'modern', messageKind: 'request' });
    expect(post()).toMatchObject({ kind: 'modern', messageKind: 'request' });
    // Each time, by the SDK as it is (remembered, the second would not have asked).
    expect(asked).toBe(2);
  });

  it('forgets the oldest shapes past 512', () => {
    let asked = 0;
    const classify = createClassifier((request) => (asked++, classifyInboundRequest(request)));
    const shape = (n: number) => classify({ protocolVersionHeader: '2025-11-25', body: { jsonrpc: '2.0', id: 1, method: `tools/${n}` } });
    for (let n = 0; n <= 512; n++) shape(n);
    expect(asked).toBe(513);
    shape(512);
    expect(asked).toBe(513);
    shape(0);
    expect(asked).toBe(514);
  });
});
