import {
  classifyInboundRequest,
  isJSONRPCRequest,
  type InboundClassificationOutcome,
  type InboundHttpRequest,
  type JSONRPCRequest,
} from '@modelcontextprotocol/server';

/** A POST to `/mcp` as the SDK's classifier takes it; `body` came from `JSON.parse`. */
export type InboundPost = Omit<InboundHttpRequest, 'httpMethod'>;

/** How many request shapes are remembered: a few per client and method; the oldest goes first. */
const REMEMBERED = 512;
/**
 * The longest shape remembered, in characters of its JSON: what a client's `_meta` takes. A larger
 * one is classified by the SDK every time, so that clients cannot fill the memory with shapes.
 */
const LONGEST_SHAPE = 4096;

/**
 * The SDK's classification of a POST (`classifyInboundRequest`: a 2026-07-28 request, a 2025 one,
 * or refused), with the same outcome at a fraction of its cost for what nearly every POST is: one
 * JSON-RPC request other than `initialize`. The SDK parses each body against up to three message
 * schemas and a 2026-07-28 request's `_meta` envelope against a fourth, every time; on a forwarded
 * call that was about a sixth of the gateway's CPU.
 *
 * For such a request its outcome depends on the headers, the method and the `_meta` object alone
 * (the SDK reads the params through `_meta` only). So the SDK classifies a skeleton of the request
 * (`params` reduced to its `_meta`) once per shape, and a request of a remembered shape gets that
 * outcome with its own message.
 * Anything else (a batch, a response, a notification, `initialize`, a body that is no valid
 * request, a skeleton the SDK refuses, a shape longer than 4 KiB) is classified by the SDK as it
 * is, every time.
 *
 * `classify` is the SDK's classifier, replaceable for tests that count its calls.
 */
export function createClassifier(classify: (request: InboundHttpRequest) => InboundClassificationOutcome = classifyInboundRequest): (post: InboundPost) => InboundClassificationOutcome {
  const remembered = new Map<string, InboundClassificationOutcome>();
  return (post) => {
    const request: InboundHttpRequest = { httpMethod: 'POST', ...post };
    const body = post.body as Record<string, unknown>;
    if (!isPlainObject(body) || body.method === 'initialize') return classify(request);
    const { params } = body;
    if (params !== undefined && !isPlainObject(params)) return classify(request);
    // The request with its params reduced to `_meta`: the SDK's request schema is strict about the
    // members and declares only `_meta` in the params, so this is a valid request exactly when the
    // body is (a response, with its `result` or `error`, is none).
    const reduced = params === undefined ? body : { ...body, params: '_meta' in params ? { _meta: params._meta } : {} };
    const skeleton = { ...reduced, id: 0 };
    const key = JSON.stringify([post.protocolVersionHeader ?? null, post.mcpMethodHeader ?? null, post.mcpNameHeader ?? null, skeleton]);
    let outcome = remembered.get(key);
    // A remembered shape passed the SDK's request schema with the id 0. A request of that shape differs
    // from it in its id alone, so it passes too when the schema takes its id (a string, a safe integer):
    // the schema's parse, the larger part of the cost, runs once per shape as well.
    const known = outcome !== undefined && isRequestId(body.id);
    if (!known && (!isJSONRPCRequest(reduced) || key.length > LONGEST_SHAPE)) return classify(request);
    if (!outcome) {
      // The SDK's outcome for the skeleton is the body's (with the body as its message); the id is not read.
      outcome = classify({ ...request, body: skeleton });
      if (outcome.kind !== 'modern' && outcome.kind !== 'legacy') return classify(request);
      if (remembered.size >= REMEMBERED) remembered.delete(remembered.keys().next().value as string);
      remembered.set(key, outcome);
    }
    return outcome.kind === 'modern' && outcome.messageKind === 'request' ? { ...outcome, message: body as JSONRPCRequest } : { ...outcome };
  };
}

/** What the SDK's `RequestIdSchema` takes: a string, or a number that is a safe integer. */
function isRequestId(id: unknown): boolean {
  return typeof id === 'string' || Number.isSafeInteger(id);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
