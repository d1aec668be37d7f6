import { connect } from 'node:net';
import { mcpNameOf } from '../../src/verify/runtime/mcp.js';

/**
 * Malformed and edge-case HTTP / JSON-RPC inputs for an MCP endpoint, of both protocol eras
 * (2026-07-28: stateless, `_meta` envelope, routing headers; 2025-11-25: `initialize`, sessions),
 * drawn from a seeded generator so that a run can be repeated exactly, and the rules every answer
 * must follow.
 */

export const MODERN = '2026-07-28';
export const LEGACY = '2025-11-25';

/** What a proper answer to an input may be. */
export type Expectation =
  /** Refused: an HTTP 4xx, or a JSON-RPC error in every response message. */
  | 'error'
  /** Anything well formed (edge cases a server may serve): no 5xx, every message proper. */
  | 'any';

export interface FuzzInput {
  /** The generator that made it, for the summary. */
  kind: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  expect: Expectation;
  /** Sent without credentials (the answer must be 401). */
  anonymous?: boolean;
  /** Refused by the HTTP layer itself: a bare 400 (no JSON-RPC body) is a proper answer. */
  httpLevel?: boolean;
}

/** mulberry32: a small seeded generator, enough to make inputs repeatable. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (random: Random, below: number) => Math.floor(random() * below);

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** The methods of the example server and a few it does not have. */
const METHODS = [
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'ping',
  'server/discover',
];
const UNKNOWN_METHODS = [
  'tools/explode',
  'nope',
  '',
  ' ',
  'rpc.discover',
  'initialize/extra',
  'x'.repeat(5000),
  '\u0000',
  'tools/list\n',
];

/** Values of every JSON type, including the awkward ones. */
const ODD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  'x'.repeat(10_000),
  '\u0000\uffff\ud800',
  [],
  [null],
  {},
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
];

function paramsFor(method: string, random: Random): Record<string, unknown> {
  switch (method) {
    case 'tools/call': {
      const name = pick(random, ['echo', 'add', 'slow_count', 'ask_name', 'set_note', 'no_such_tool', '']);
      const args = pick<unknown>(random, [
        { text: 'fuzz' },
        { a: 1, b: 2 },
        { text: 42 },
        { a: 'one', b: null },
        {},
        [],
        'not an object',
        null,
        { text: 'y'.repeat(2_000) },
      ]);
      return { name, arguments: args };
    }
    case 'resources/read':
      return {
        uri: pick(random, [
          'note://current',
          'file:///etc/passwd',
          'note://../../x',
          '',
          'not a uri',
          'note://' + 'z'.repeat(3_000),
        ]),
      };
    case 'prompts/get':
      return {
        name: pick(random, ['summarize', 'no_such_prompt', '']),
        arguments: pick<unknown>(random, [{}, { text: 1 }, null]),
      };
    case 'logging/setLevel':
      return { level: pick(random, ['debug', 'emergency', 'LOUD', 7, null]) };
    case 'completion/complete':
      return {
        ref: pick<unknown>(random, [{ type: 'ref/prompt', name: 'summarize' }, { type: 'ref/nothing' }, null]),
        argument: { name: 'text', value: 'a' },
      };
    default:
      return random() < 0.5 ? {} : { cursor: pick<unknown>(random, ['', 'bogus-cursor', 42, null, '%00']) };
  }
}

function modernMeta(): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientInfo': { name: 'fuzz', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
}

/** The routing headers a well-formed 2026-07-28 request carries for `method` and `params`. */
function routingHeaders(method: string, params: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = { 'mcp-protocol-version': MODERN, 'mcp-method': method };
  const name = mcpNameOf(method, params);
  if (typeof name === 'string' && name !== '' && /^[\x20-\x7e]*$/.test(name)) headers['mcp-name'] = name;
  return headers;
}

function modernRequest(random: Random, id: unknown = int(random, 1_000_000)) {
  const method = pick(random, METHODS);
  const params = paramsFor(method, random);
  const message = { jsonrpc: '2.0', id, method, params: { ...params, _meta: modernMeta() } };
  return { message, headers: { ...JSON_HEADERS, ...routingHeaders(method, params) }, method, params };
}

function legacyInitialize(id: unknown = 1, protocolVersion: unknown = LEGACY) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'fuzz', version: '1.0.0' } },
  };
}

const text = (value: unknown) => JSON.stringify(value);
const enc = new TextEncoder();

/** Each generator makes one input; the weights say how often each is drawn. */
const GENERATORS: Array<[weight: number, make: (random: Random) => FuzzInput]> = [
  // Bodies that are not JSON at all.
  [
    6,
    (random) => ({
      kind: 'bad-json',
      method: 'POST',
      headers: {
        ...JSON_HEADERS,
        ...(random() < 0.5 ? { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' } : {}),
      },
      body: pick(random, [
        '',
        '{',
        '}',
        '{"jsonrpc":"2.0",',
        "{'jsonrpc':'2.0'}",
        'null',
        'undefined',
        'NaN',
        '[',
        '[]]',
        '{"a":1}{"b":2}',
        '\u0000',
        '{"jsonrpc":"2.0","id":1,"method":"ping"',
        text(modernRequest(random).message).slice(0, 1 + int(random, 60)),
        '[' + '['.repeat(5_000),
        '{"a":' + '['.repeat(3_000) + ']'.repeat(3_000) + '}',
        '"just a string"',
        '12345',
        'true',
      ]),
      expect: 'error',
    }),
  ],
  // Bytes that are not UTF-8.
  [
    3,
    (random) => {
      const prefix = enc.encode(text(modernRequest(random).message).slice(0, int(random, 40)));
      const junk = pick(random, [
        [0xff],
        [0xc3, 0x28],
        [0xe2, 0x28, 0xa1],
        [0xf0, 0x90, 0x28, 0xbc],
        [0xed, 0xa0, 0x80],
        [0xfe, 0xfe, 0xff],
      ]);
      return {
        kind: 'invalid-utf8',
        method: 'POST',
        headers: { ...JSON_HEADERS, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
        body: new Uint8Array([...prefix, ...junk, ...enc.encode('"}')]),
        expect: 'error',
      };
    },
  ],
  // JSON-RPC envelopes with wrong types.
  [
    10,
    (random) => {
      const { message, headers } = modernRequest(random);
      const field = pick(random, ['jsonrpc', 'id', 'method', 'params']);
      const value = pick(random, ODD_VALUES);
      const broken: Record<string, unknown> = { ...message, [field]: value };
      if (random() < 0.3) delete broken[field];
      // A notification (no id) or a well-formed id and method are not malformed: anything proper goes.
      const stillValid =
        (field === 'id' && (typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) ||
        (field === 'params' &&
          (value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value))));
      return {
        kind: `wrong-type:${field}`,
        method: 'POST',
        headers,
        body: text(broken),
        expect: stillValid || !(field in broken) ? 'any' : 'error',
      };
    },
  ],
  // Ids at the edges.
  [
    4,
    (random) => {
      const id = pick<unknown>(random, [
        Number.MAX_SAFE_INTEGER,
        Number.MAX_SAFE_INTEGER + 1,
        -Number.MAX_SAFE_INTEGER,
        0,
        'i'.repeat(20_000),
        '',
        '\u0000',
        1e300,
        -0,
      ]);
      const { message, headers } = modernRequest(random, id);
      return { kind: 'edge-id', method: 'POST', headers, body: text(message), expect: 'any' };
    },
  ],
  // Batches (neither era accepts them any more; an empty one is invalid in every era).
  [
    5,
    (random) => {
      const size = pick(random, [0, 1, 2, 10, 200]);
      const era = random() < 0.5 ? 'modern' : 'legacy';
      const items = Array.from({ length: size }, (_, i) =>
        era === 'modern' ? modernRequest(random, i + 1).message : legacyInitialize(i + 1),
      );
      const headers =
        era === 'modern'
          ? { ...JSON_HEADERS, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' }
          : JSON_HEADERS;
      // 2026-07-28 has no batches; a 2025-era server may still take a non-empty one (the SDK's 2025 leg does).
      return {
        kind: `batch:${era}`,
        method: 'POST',
        headers,
        body: text(items),
        expect: era === 'legacy' && size > 0 ? 'any' : 'error',
      };
    },
  ],
  // 2026-07-28 routing headers missing, mismatched or unsupported.
  [
    14,
    (random) => {
      const { message, headers, method } = modernRequest(random);
      const altered: Record<string, string> = { ...headers };
      const change = pick(random, [
        'drop-version',
        'bad-version',
        'drop-method',
        'wrong-method',
        'wrong-name',
        'meta-version-mismatch',
        'case-method',
        'extra-name',
      ]);
      const body = structuredClone(message) as { params: { _meta: Record<string, unknown> }; method: string };
      switch (change) {
        case 'drop-version':
          delete altered['mcp-protocol-version'];
          break;
        case 'bad-version':
          altered['mcp-protocol-version'] = pick(random, [
            '1999-01-01',
            '2026-07-29',
            'latest',
            '',
            '2026-07-28, 2025-11-25',
            'x'.repeat(500),
          ]);
          break;
        case 'drop-method':
          delete altered['mcp-method'];
          break;
        case 'wrong-method':
          altered['mcp-method'] = pick(
            random,
            METHODS.filter((other) => other !== method),
          );
          break;
        case 'wrong-name':
          if (method !== 'tools/call' && method !== 'resources/read' && method !== 'prompts/get')
            return {
              kind: 'headers:wrong-method',
              method: 'POST',
              headers: { ...altered, 'mcp-method': 'nope/nope' },
              body: text(body),
              expect: 'error',
            };
          altered['mcp-name'] = 'not-' + (altered['mcp-name'] ?? 'named');
          break;
        case 'meta-version-mismatch':
          body.params._meta['io.modelcontextprotocol/protocolVersion'] = pick(random, [LEGACY, '1999-01-01', 7, null]);
          break;
        case 'case-method':
          altered['mcp-method'] = method.toUpperCase();
          break;
        case 'extra-name':
          if (altered['mcp-name'] !== undefined) {
            altered['mcp-name'] = altered['mcp-name'] + ' ';
            break;
          }
          altered['mcp-name'] = 'unexpected';
          break;
      }
      // HTTP trims header values (a trailing space changes nothing); a name header on a method without a name may be ignored.
      const expect: Expectation = change === 'extra-name' ? 'any' : 'error';
      return { kind: `headers:${change}`, method: 'POST', headers: altered, body: text(body), expect };
    },
  ],
  // The 2026-07-28 `_meta` envelope missing or wrong.
  [
    10,
    (random) => {
      const { message, headers } = modernRequest(random);
      const body = structuredClone(message) as { params: Record<string, unknown> & { _meta: Record<string, unknown> } };
      const change = pick(random, [
        'no-meta',
        'meta-type',
        'no-client-info',
        'client-info-type',
        'capabilities-type',
        'no-capabilities',
        'log-level',
      ]);
      switch (change) {
        case 'no-meta':
          delete (body.params as Record<string, unknown>)._meta;
          break;
        case 'meta-type':
          body.params._meta = pick(
            random,
            ODD_VALUES.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
          ) as never;
          break;
        case 'no-client-info':
          delete body.params._meta['io.modelcontextprotocol/clientInfo'];
          break;
        case 'client-info-type':
          body.params._meta['io.modelcontextprotocol/clientInfo'] = pick(random, ODD_VALUES);
          break;
        case 'capabilities-type':
          body.params._meta['io.modelcontextprotocol/clientCapabilities'] = pick(random, ['all', 3, [], null]);
          break;
        case 'no-capabilities':
          delete body.params._meta['io.modelcontextprotocol/clientCapabilities'];
          break;
        case 'log-level':
          body.params._meta['io.modelcontextprotocol/logLevel'] = pick(random, ['debug', 'LOUD', 3, null, {}]);
          break;
      }
      // clientInfo missing or of another shape, and a log level, may be tolerated; the rest is malformed.
      const lenient = change === 'client-info-type' || change === 'no-client-info' || change === 'log-level';
      return { kind: `meta:${change}`, method: 'POST', headers, body: text(body), expect: lenient ? 'any' : 'error' };
    },
  ],
  // Methods the server does not have, in both eras.
  [
    5,
    (random) => {
      const method = pick(random, UNKNOWN_METHODS);
      if (random() < 0.5) {
        const headers = {
          ...JSON_HEADERS,
          'mcp-protocol-version': MODERN,
          'mcp-method': /^[\x20-\x7e]+$/.test(method) && method.trim() === method ? method : 'x',
        };
        return {
          kind: 'unknown-method:modern',
          method: 'POST',
          headers,
          body: text({ jsonrpc: '2.0', id: 9, method, params: { _meta: modernMeta() } }),
          expect: 'error',
        };
      }
      return {
        kind: 'unknown-method:legacy',
        method: 'POST',
        headers: JSON_HEADERS,
        body: text({ jsonrpc: '2.0', id: 9, method, params: {} }),
        expect: 'error',
      };
    },
  ],
  // Well-formed requests with odd parameters (tool errors are results, not protocol errors).
  [
    8,
    (random) => {
      const { message, headers } = modernRequest(random);
      return { kind: 'odd-params:modern', method: 'POST', headers, body: text(message), expect: 'any' };
    },
  ],
  // 2025-era exchanges: initialize variants, requests without a session, unknown sessions.
  [
    10,
    (random) => {
      const change = pick(random, [
        'initialize',
        'bad-version',
        'no-session',
        'unknown-session',
        'bad-params',
        'notification',
      ]);
      switch (change) {
        case 'initialize':
          return {
            kind: 'legacy:initialize',
            method: 'POST',
            headers: JSON_HEADERS,
            body: text(legacyInitialize(int(random, 1000))),
            expect: 'any',
          };
        case 'bad-version':
          return {
            kind: 'legacy:initialize-version',
            method: 'POST',
            headers: JSON_HEADERS,
            body: text(legacyInitialize(2, pick(random, ['1999-01-01', '', 7, null, '2025-03-26']))),
            expect: 'any',
          };
        case 'no-session':
          return {
            kind: 'legacy:no-session',
            method: 'POST',
            headers: { ...JSON_HEADERS, 'mcp-protocol-version': LEGACY },
            body: text({ jsonrpc: '2.0', id: 3, method: pick(random, METHODS), params: {} }),
            expect: 'any',
          };
        case 'unknown-session': {
          const method = pick(random, ['POST', 'GET', 'DELETE']);
          return {
            kind: `legacy:unknown-session:${method}`,
            method,
            headers: {
              ...JSON_HEADERS,
              'mcp-protocol-version': LEGACY,
              'mcp-session-id': pick(random, ['00000000-0000-0000-0000-000000000000', 'x', 'e'.repeat(300)]),
            },
            body: method === 'GET' ? undefined : text({ jsonrpc: '2.0', id: 4, method: 'tools/list', params: {} }),
            // A stateless server ignores the session id of a POST; a sessionful one must refuse it.
            expect: method === 'POST' ? 'any' : 'error',
          };
        }
        case 'bad-params':
          return {
            kind: 'legacy:initialize-params',
            method: 'POST',
            headers: JSON_HEADERS,
            body: text({
              jsonrpc: '2.0',
              id: 5,
              method: 'initialize',
              params: pick(
                random,
                ODD_VALUES.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
              ),
            }),
            expect: 'error',
          };
        default:
          return {
            kind: 'legacy:notification',
            method: 'POST',
            headers: { ...JSON_HEADERS, 'mcp-protocol-version': LEGACY },
            body: text({
              jsonrpc: '2.0',
              method: pick(random, ['notifications/initialized', 'notifications/cancelled', 'notifications/unknown']),
            }),
            expect: 'any',
          };
      }
    },
  ],
  // Content types and Accept headers the endpoint does not take.
  [
    6,
    (random) => {
      const { message, headers } = modernRequest(random);
      const altered: Record<string, string> = { ...headers };
      const change = pick(random, ['content-type', 'no-content-type', 'accept', 'no-accept']);
      if (change === 'content-type')
        altered['content-type'] = pick(random, [
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/json; charset=latin1',
          'application/jsonx',
        ]);
      if (change === 'no-content-type') delete altered['content-type'];
      if (change === 'accept')
        altered.accept = pick(random, ['text/html', 'image/png', 'text/event-stream', '*/*', 'application/json']);
      if (change === 'no-accept') delete altered.accept;
      // An Accept header, missing or not, may be served anyway (the answer is JSON whatever it asks); a charset may be ignored.
      const servable =
        change === 'accept' ||
        change === 'no-accept' ||
        (change === 'content-type' && altered['content-type']!.startsWith('application/json;'));
      return {
        kind: `content:${change}`,
        method: 'POST',
        headers: altered,
        body: text(message),
        expect: servable ? 'any' : 'error',
      };
    },
  ],
  // HTTP methods the endpoint does not serve (or serves only for the 2025 leg).
  [
    6,
    (random) => {
      const method = pick(random, ['GET', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD', 'BREW', 'PROPFIND', 'SEARCH']);
      const headers = pick<Record<string, string>>(random, [
        { accept: 'text/event-stream' },
        { accept: 'text/event-stream', 'mcp-protocol-version': MODERN },
        { accept: 'application/json', 'mcp-protocol-version': LEGACY },
        {},
      ]);
      const body = method === 'GET' || method === 'HEAD' ? undefined : text(modernRequest(random).message);
      // OPTIONS may be a CORS preflight answer; the rest are refused.
      return {
        kind: `http-method:${method}`,
        method,
        headers: body ? { ...headers, 'content-type': 'application/json' } : headers,
        body,
        expect: method === 'OPTIONS' ? 'any' : 'error',
        // Node's HTTP parser refuses request lines with methods it does not know, before any route sees them.
        ...(method === 'BREW' ? { httpLevel: true } : {}),
      };
    },
  ],
  // Requests without credentials.
  [
    3,
    (random) => {
      const { message, headers } = modernRequest(random);
      return {
        kind: 'no-credentials',
        method: 'POST',
        headers,
        body: text(random() < 0.5 ? message : legacyInitialize()),
        expect: 'error',
        anonymous: true,
      };
    },
  ],
];

const TOTAL_WEIGHT = GENERATORS.reduce((sum, [weight]) => sum + weight, 0);

/** The `count` inputs of the run seeded with `seed`: the same seed, the same inputs. */
export function* fuzzInputs(seed: number, count: number): Generator<FuzzInput> {
  const random = seeded(seed);
  for (let i = 0; i < count; i++) {
    let roll = random() * TOTAL_WEIGHT;
    for (const [weight, make] of GENERATORS) {
      roll -= weight;
      if (roll < 0) {
        yield make(random);
        break;
      }
    }
    if (roll >= 0) yield GENERATORS[GENERATORS.length - 1]![1](random);
  }
}

/**
 * 2025-era inputs inside one open session (`session`: the Mcp-Session-Id an `initialize` was
 * answered with), seeded like `fuzzInputs`: requests of every method with odd parameters, envelopes
 * with wrong types, unknown methods, notifications, a second `initialize`, and protocol version
 * headers the session did not agree on. The session must stay usable throughout.
 */
export function* sessionInputs(seed: number, count: number, session: string): Generator<FuzzInput> {
  const random = seeded(seed);
  const headers = { ...JSON_HEADERS, 'mcp-protocol-version': LEGACY, 'mcp-session-id': session };
  for (let i = 0; i < count; i++) {
    const method = pick(random, METHODS);
    const request = { jsonrpc: '2.0', id: int(random, 1_000_000), method, params: paramsFor(method, random) };
    const change = pick(random, [
      'request',
      'request',
      'request',
      'wrong-type',
      'unknown-method',
      'notification',
      'initialize-again',
      'version-header',
    ]);
    switch (change) {
      case 'wrong-type': {
        const field = pick(random, ['jsonrpc', 'id', 'method', 'params']);
        const value = pick(random, ODD_VALUES);
        const broken: Record<string, unknown> = { ...request, [field]: value };
        // As in the sessionless generator: a well-formed id or params object is not malformed.
        const stillValid =
          (field === 'id' && (typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) ||
          (field === 'params' && typeof value === 'object' && value !== null && !Array.isArray(value));
        yield {
          kind: `session:wrong-type:${field}`,
          method: 'POST',
          headers,
          body: text(broken),
          expect: stillValid ? 'any' : 'error',
        };
        break;
      }
      case 'unknown-method':
        yield {
          kind: 'session:unknown-method',
          method: 'POST',
          headers,
          body: text({ ...request, method: pick(random, UNKNOWN_METHODS) }),
          expect: 'error',
        };
        break;
      case 'notification':
        yield {
          kind: 'session:notification',
          method: 'POST',
          headers,
          body: text({
            jsonrpc: '2.0',
            method: pick(random, [
              'notifications/cancelled',
              'notifications/roots/list_changed',
              'notifications/unknown',
            ]),
            params: pick<unknown>(random, [{}, { requestId: 1 }, { requestId: 'x', reason: 'fuzz' }]),
          }),
          expect: 'any',
        };
        break;
      case 'initialize-again':
        yield {
          kind: 'session:initialize-again',
          method: 'POST',
          headers,
          body: text(legacyInitialize(int(random, 1000))),
          expect: 'error',
        };
        break;
      case 'version-header':
        yield {
          kind: 'session:version-header',
          method: 'POST',
          headers: { ...headers, 'mcp-protocol-version': pick(random, ['1999-01-01', 'latest', 'x'.repeat(200)]) },
          body: text(request),
          expect: 'error',
        };
        break;
      default:
        yield { kind: 'session:request', method: 'POST', headers, body: text(request), expect: 'any' };
    }
  }
}

/** What is wrong with one JSON-RPC message of an answer, or undefined when it is proper. */
export function improperMessage(message: unknown, mustBeError: boolean): string | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return 'not a JSON object';
  const m = message as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'jsonrpc is not "2.0"';
  // A notification the server sends on a stream (progress, log) before its response.
  if (typeof m.method === 'string' && !('id' in m)) return undefined;
  if (!('id' in m)) return 'no id';
  if (m.id !== null && typeof m.id !== 'string' && typeof m.id !== 'number') return `id of type ${typeof m.id}`;
  const hasResult = 'result' in m;
  const hasError = 'error' in m;
  if (hasResult === hasError) return 'must carry exactly one of result and error';
  if (hasError) {
    const error = m.error as Record<string, unknown> | null;
    if (typeof error !== 'object' || error === null) return 'error is not an object';
    if (!Number.isInteger(error.code)) return 'error.code is not an integer';
    if (typeof error.message !== 'string') return 'error.message is not a string';
    return undefined;
  }
  return mustBeError ? 'a result where an error was due' : undefined;
}

/** The JSON-RPC messages of an answer body: a JSON value (one message or an array) or an SSE stream. */
export function answerMessages(contentType: string, body: string): { messages: unknown[] } | { problem: string } {
  if (contentType.includes('text/event-stream')) {
    const messages: unknown[] = [];
    for (const event of body.split(/\r?\n\r?\n/)) {
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data === '') continue;
      try {
        messages.push(JSON.parse(data));
      } catch {
        return { problem: `an SSE event whose data is not JSON: ${data.slice(0, 80)}` };
      }
    }
    return { messages };
  }
  if (!/\bjson\b/.test(contentType))
    return { problem: `content-type ${contentType || '(none)'}: ${body.slice(0, 80)}` };
  try {
    const value = JSON.parse(body) as unknown;
    return { messages: Array.isArray(value) ? value : [value] };
  } catch {
    return { problem: `a JSON content-type with a body that is not JSON: ${body.slice(0, 80)}` };
  }
}

/**
 * What is wrong with the answer to `input`, or undefined when it is proper: no 5xx; a body, when
 * there is one, made of proper JSON-RPC messages; a refusal where `input.expect` is 'error'.
 */
export function judgeAnswer(input: FuzzInput, status: number, contentType: string, body: string): string | undefined {
  if (status >= 500) return `HTTP ${status}`;
  if (input.anonymous && status !== 401) return `HTTP ${status} without credentials, not 401`;
  const refused = status >= 400;
  if (input.httpLevel && status === 400 && body === '') return undefined;
  if (body === '') {
    if (input.method === 'HEAD' || status === 202 || status === 204)
      return input.expect === 'error' && !refused ? `HTTP ${status} with no body where a refusal was due` : undefined;
    if (input.method === 'OPTIONS' && status < 300) return undefined;
    return `HTTP ${status} with an empty body`;
  }
  const parsed = answerMessages(contentType, body);
  if ('problem' in parsed) return `HTTP ${status}: ${parsed.problem}`;
  const responses = parsed.messages.filter((m) => typeof m === 'object' && m !== null && 'id' in m);
  if (responses.length === 0) return `HTTP ${status} with no JSON-RPC response in its body`;
  for (const message of parsed.messages) {
    const problem = improperMessage(message, input.expect === 'error' && !refused);
    if (problem) return `HTTP ${status}: ${problem}: ${JSON.stringify(message).slice(0, 160)}`;
  }
  if (refused && responses.some((m) => !('error' in (m as object)))) return `HTTP ${status} carrying a result`;
  return undefined;
}

/** One input's answer, judged. */
export interface FuzzOutcome {
  input: FuzzInput;
  status: number;
  problem?: string;
}

/** Sends every input to `mcpUrl`, `concurrency` at a time, each with a deadline; returns the judged answers. */
export async function sendAll(
  mcpUrl: string,
  inputs: Iterable<FuzzInput>,
  credentials: Record<string, string>,
  { concurrency = 16, timeoutMs = 10_000 } = {},
): Promise<FuzzOutcome[]> {
  const outcomes: FuzzOutcome[] = [];
  const iterator = inputs[Symbol.iterator]();
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const input = next.value;
      try {
        const response = await fetch(mcpUrl, {
          method: input.method,
          headers: { ...(input.anonymous ? {} : credentials), ...input.headers },
          body: input.body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = await response.text();
        const problem = judgeAnswer(input, response.status, response.headers.get('content-type') ?? '', body);
        outcomes.push({ input, status: response.status, ...(problem ? { problem } : {}) });
      } catch (error) {
        outcomes.push({ input, status: 0, problem: `no answer: ${(error as Error).message}` });
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
}

/** A request written to the socket byte for byte: what `fetch` cannot send (broken framing, bad header bytes). */
export interface RawInput {
  kind: string;
  bytes: Uint8Array;
  /** The request is cut short: closing the connection without an answer is proper too. */
  truncated?: boolean;
}

/** Raw HTTP requests to `path` on `host`, seeded like `fuzzInputs`. */
export function* rawInputs(
  seed: number,
  count: number,
  host: string,
  path: string,
  authorization: string,
): Generator<RawInput> {
  const random = seeded(seed);
  const body = text({ jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: modernMeta() } });
  const head = (lines: string[]) => lines.join('\r\n') + '\r\n\r\n';
  const common = [
    `Host: ${host}`,
    `Authorization: ${authorization}`,
    'Content-Type: application/json',
    'Accept: application/json, text/event-stream',
    `MCP-Protocol-Version: ${MODERN}`,
    'Mcp-Method: ping',
  ];
  const makers: Array<() => RawInput> = [
    () => ({
      kind: 'raw:bad-request-line',
      bytes: enc.encode(
        pick(random, [
          'POST\r\n\r\n',
          `POST ${path}\r\n\r\n`,
          `POST ${path} HTTP/9.9\r\n\r\n`,
          'GARBAGE\r\n\r\n',
          `POST  ${path}  HTTP/1.1\r\n\r\n`,
          '\r\n\r\n\r\n',
        ]),
      ),
    }),
    () => ({
      kind: 'raw:bad-header',
      bytes: enc.encode(
        head([
          `POST ${path} HTTP/1.1`,
          ...common,
          pick(random, [
            'X-Bad\u0001: 1',
            'No colon here',
            ' Leading: space',
            'X: \u0000',
            'Transfer-Encoding: gzip',
            'Content-Length: 0',
          ]),
          `Content-Length: ${body.length}`,
        ]) + body,
      ),
    }),
    () => ({
      kind: 'raw:length-and-chunked',
      bytes: enc.encode(
        head([`POST ${path} HTTP/1.1`, ...common, `Content-Length: ${body.length}`, 'Transfer-Encoding: chunked']) +
          `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      ),
    }),
    () => ({
      kind: 'raw:bad-chunk',
      bytes: enc.encode(
        head([`POST ${path} HTTP/1.1`, ...common, 'Transfer-Encoding: chunked']) +
          pick(random, [
            'zz\r\n{}\r\n0\r\n\r\n',
            'ffffffffffffffffff\r\n{}\r\n0\r\n\r\n',
            '2\r\n{}0\r\n\r\n',
            '-1\r\n\r\n',
          ]),
      ),
    }),
    () => ({
      kind: 'raw:bad-length',
      bytes: enc.encode(
        head([
          `POST ${path} HTTP/1.1`,
          ...common,
          `Content-Length: ${pick(random, ['-1', 'abc', '1e3', '99999999999999999999', ' 5'])}`,
        ]) + body,
      ),
    }),
    () => ({
      kind: 'raw:short-body',
      bytes: enc.encode(
        head([`POST ${path} HTTP/1.1`, ...common, `Content-Length: ${body.length + 1 + int(random, 100)}`]) + body,
      ),
      truncated: true,
    }),
    () => ({
      kind: 'raw:huge-header',
      bytes: enc.encode(
        head([
          `POST ${path} HTTP/1.1`,
          ...common,
          `X-Big: ${'a'.repeat(20_000 + int(random, 60_000))}`,
          `Content-Length: ${body.length}`,
        ]) + body,
      ),
    }),
  ];
  for (let i = 0; i < count; i++) yield pick(random, makers)();
}

/** What is wrong with the answer read back from a raw request, or undefined when it is proper (a 4xx, or a close for a cut request). */
export function judgeRaw(input: RawInput, answer: string): { status: number; problem?: string } {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
  if (!match)
    return input.truncated || answer === ''
      ? { status: 0 }
      : { status: 0, problem: `not an HTTP answer: ${answer.slice(0, 80)}` };
  const status = Number(match[1]);
  if (status >= 500) return { status, problem: `HTTP ${status}` };
  if (status < 400) return { status, problem: `HTTP ${status} to a malformed request` };
  return { status };
}

/** Writes each raw request on its own connection, reads until the server closes it (or `timeoutMs`), and judges it. */
export async function sendRaw(
  port: number,
  inputs: Iterable<RawInput>,
  { concurrency = 8, timeoutMs = 5_000 } = {},
): Promise<Array<{ input: RawInput; status: number; problem?: string }>> {
  const outcomes: Array<{ input: RawInput; status: number; problem?: string }> = [];
  const iterator = inputs[Symbol.iterator]();
  const one = (input: RawInput) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      const socket = connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => socket.destroy(), timeoutMs);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('latin1'));
      });
      socket.end(input.bytes);
    });
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const answer = await one(next.value);
      outcomes.push({ input: next.value, ...judgeRaw(next.value, answer) });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
}
