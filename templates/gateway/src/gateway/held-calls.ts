import { randomBytes, randomUUID } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY,
  createRequestStateCodec,
  inputRequired,
  isSpecType,
  ProtocolError,
  ProtocolErrorCode,
  type CallToolResult,
  type ClientCapabilities,
  type CreateMessageResult,
  type ElicitResult,
  type InputRequest,
  type InputRequests,
  type InputRequiredResult,
  type ListRootsResult,
  type Progress,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Aggregator, AggregatorSession, CallOptions } from '../aggregate/index.js';
import type { Logger } from '../observability/logger.js';

/**
 * Marks a `requestState` the gateway minted for a call it holds, followed by the gateway instance
 * that holds it. Any other `requestState` belongs to a 2026-07-28 backend and goes back to it.
 */
const PREFIX = 'mcp-gateway-held.';

/** What the state names: the held call, the round it asks about, and when that round's question expires. */
interface HeldState {
  call: string;
  round: number;
  expiresAt: number;
}

type Method = InputRequest['method'];

/** A request of the backend waiting for the client's answer. */
interface Question {
  method: Method;
  params: InputRequest['params'];
  /** Sent to the client in an `input_required` result (else not yet). */
  asked: boolean;
  answer(result: unknown): void;
  fail(error: unknown): void;
}

/** Shapes of the answers, by the method of the question: the client's answer goes to the backend only when it is one. */
const ANSWER_SHAPES: Record<Method, { name: string; valid: (value: unknown) => boolean }> = {
  'elicitation/create': { name: 'ElicitResult', valid: (value) => isSpecType.ElicitResult(value) },
  'sampling/createMessage': {
    name: 'CreateMessageResult',
    valid: (value) => isSpecType.CreateMessageResult(value) || isSpecType.CreateMessageResultWithTools(value),
  },
  'roots/list': { name: 'ListRootsResult', valid: (value) => isSpecType.ListRootsResult(value) },
};

const CAPABILITY: Record<Method, keyof ClientCapabilities> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/** Longest timer Node accepts: the held call is bounded by the gateway's own timers (rounds and expiry), not the backend's `timeoutMs`. */
const UNBOUNDED_MS = 2 ** 31 - 1;

/**
 * One tool call of a 2026-07-28 client running on a 2025 backend, on a backend session of its own
 * that declares the client's capabilities. Between rounds it waits for the client's retry.
 */
class HeldCall {
  readonly id = randomUUID();
  round = 0;
  expiresAt = 0;
  settled = false;
  /** The backend answered the call (result or error). */
  ended = false;
  /** A round (a client request) is being served now. */
  busy = false;
  timer?: NodeJS.Timeout;
  readonly controller = new AbortController();
  readonly questions = new Map<string, Question>();
  private sequence = 0;
  private wake?: () => void;
  /** The current round's progress callback (progress between rounds has no client request to go to). */
  onprogress?: (progress: Progress) => void;
  onlog?: CallOptions['onlog'];
  session!: AggregatorSession;
  result!: Promise<CallToolResult>;

  constructor(readonly tool: string) {}

  /**
   * A request of the backend: held until the client answers it in a retry (the answer has the
   * shape the method calls for: the retry is checked before it is passed on).
   */
  ask<T>(method: Method, params: InputRequest['params'], signal: AbortSignal): Promise<T> {
    if (this.settled)
      return Promise.reject(
        new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          `${method} is not related to any client request in progress: the tool call of this backend session has ended, and the gateway relays a backend's request only to the client whose call caused it`,
        ),
      );
    return new Promise<T>((answer, fail) => {
      const key = `${CAPABILITY[method]}-${++this.sequence}`;
      const forget = () => {
        this.questions.delete(key);
        fail(signal.reason);
      };
      signal.addEventListener('abort', forget, { once: true });
      this.questions.set(key, {
        method,
        params,
        asked: false,
        answer: (result) => {
          signal.removeEventListener('abort', forget);
          this.questions.delete(key);
          answer(result as T);
        },
        fail: (error) => {
          signal.removeEventListener('abort', forget);
          this.questions.delete(key);
          fail(error);
        },
      });
      this.wake?.();
    });
  }

  /** Resolves once the backend has a question the client has not answered. */
  asking(): Promise<void> {
    if (this.questions.size > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }
}

export interface HeldCallsOptions {
  aggregator: Aggregator;
  /** How long a held call waits for the client's retry (the limit of a request to the client, REQUEST_TIMEOUT_MS). */
  clientRequestTimeoutMs: number;
  logger: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Translates between protocol eras for a 2026-07-28 client calling a tool of a 2025 backend that
 * asks for input with requests of its own (elicitation, sampling, roots) during the call. The call
 * runs on a backend session of its own, opened for it and closed after it, that declares the
 * capabilities the client declared: a 2025 backend's request carries no mark of the call it
 * belongs to (over stdio none at all), so a session per call is what relates it to exactly this
 * call and this client, and sessions of different clients never share what they may be asked.
 *
 * The backend's request becomes an `input_required` result with a `requestState` naming the held
 * call (random, signed with a key of this process, bound to the client's identity, expiring after
 * the client-request timeout); the client's retry with `inputResponses` answers the backend, and
 * the call goes on to its result or to the next question.
 */
export class HeldCalls {
  private readonly held = new Map<string, HeldCall>();
  /** Identifies this gateway process in the states it mints, so another instance can say whose state it got. */
  readonly instance = randomBytes(6).toString('hex');
  private readonly codec: RequestStateCodec<HeldState>;

  constructor(private readonly options: HeldCallsOptions) {
    this.codec = createRequestStateCodec<HeldState>({
      key: randomBytes(32),
      ttlSeconds: Math.ceil(options.clientRequestTimeoutMs / 1000) + 1,
      bind: identityOf,
    });
  }

  /**
   * Serves a 2026-07-28 `tools/call` when it is this translation's: the retry of a call held here
   * (its `requestState` says so), or a first call of a tool on a 2025 backend by a client that
   * declared a capability to give input. Undefined when it is not (the call goes its usual way).
   */
  async call(
    ctx: ServerContext,
    name: string,
    args: Record<string, unknown> | undefined,
    options: CallOptions,
  ): Promise<CallToolResult | InputRequiredResult | undefined> {
    const state = ctx.mcpReq.requestState<unknown>();
    if (typeof state === 'string' && state.startsWith(PREFIX)) return this.resume(ctx, name, state, options);
    const envelope: Record<string, unknown> = ctx.mcpReq.envelope ?? {};
    const declared = (envelope[CLIENT_CAPABILITIES_META_KEY] ?? {}) as ClientCapabilities;
    const capabilities: ClientCapabilities = {
      ...(declared.elicitation ? { elicitation: declared.elicitation } : {}),
      ...(declared.sampling ? { sampling: declared.sampling } : {}),
      ...(declared.roots ? { roots: declared.roots } : {}),
    };
    if (Object.keys(capabilities).length === 0) return undefined;
    const route = await this.options.aggregator.routeTool(name);
    if (route?.backend.prior?.kind !== 'legacy') return undefined;
    return this.start(ctx, name, args, capabilities, options);
  }

  private start(
    ctx: ServerContext,
    name: string,
    args: Record<string, unknown> | undefined,
    capabilities: ClientCapabilities,
    options: CallOptions,
  ): Promise<CallToolResult | InputRequiredResult> {
    const call = new HeldCall(name);
    call.session = this.options.aggregator.openSession({
      clientCapabilities: capabilities,
      handlers: {
        elicit: (params, { signal }) =>
          // A URL elicitation of 2025 ends with a completion notification the 2026-07-28 wire has no place for.
          params.mode === 'url'
            ? Promise.reject(
                new ProtocolError(
                  ProtocolErrorCode.InvalidRequest,
                  'The gateway does not relay URL-mode elicitation from a 2025 backend to a 2026-07-28 client: its completion notification has no 2026-07-28 equivalent',
                ),
              )
            : call.ask<ElicitResult>('elicitation/create', params, signal),
        createMessage: (params, { signal }) => call.ask<CreateMessageResult>('sampling/createMessage', params, signal),
        listRoots: (params, { signal }) => call.ask<ListRootsResult>('roots/list', params, signal),
        // The backend's log lines go to the client request being served (none between rounds).
        loggingMessage: (params) => call.onlog?.(params),
      },
    });
    this.held.set(call.id, call);
    // What describes only this round (its signal, progress, log lines) or a 2026-07-28 hop (retry fields) stays here.
    const { signal: _signal, onprogress: _onprogress, onlog: _onlog, inputResponses: _responses, requestState: _state, allowInputRequired: _allow, ...carried } = options;
    call.result = call.session.callTool(name, args, {
      ...carried,
      signal: call.controller.signal,
      timeoutMs: UNBOUNDED_MS,
      onprogress: (progress) => call.onprogress?.(progress),
    });
    void call.result.then(
      () => (call.ended = true),
      () => (call.ended = true),
    );
    return this.step(call, ctx, options);
  }

  /** A retry of a held call: its answers go to the backend, and the call goes on. */
  private async resume(
    ctx: ServerContext,
    name: string,
    wire: string,
    options: CallOptions,
  ): Promise<CallToolResult | InputRequiredResult> {
    const call = await this.verify(ctx, wire);
    if (call.tool !== name)
      throw refusal(
        `This requestState belongs to a call of tool "${call.tool}", not "${name}": retry the same tool with the same arguments`,
        'wrong-tool',
      );
    if (call.busy)
      throw refusal('This held call is being continued by another request already: send each requestState once', 'in-use');
    const responses = ctx.mcpReq.inputResponses ?? {};
    const dropped = ctx.mcpReq.droppedInputResponseKeys ?? [];
    const answers: Array<[Question, unknown]> = [];
    for (const [key, value] of [...Object.entries(responses), ...dropped.map((key) => [key, undefined] as const)]) {
      const question = call.questions.get(key);
      if (!question?.asked)
        throw refusal(
          `inputResponses has "${key}", which this call did not ask for; it asked for: ${[...call.questions.keys()].join(', ') || 'nothing'}`,
          'unknown-input',
        );
      const shape = ANSWER_SHAPES[question.method];
      if (dropped.includes(key) || !shape.valid(value))
        throw refusal(
          `inputResponses.${key} is not a ${shape.name}: answer ${question.method} with its bare result object (not wrapped in {method, result})`,
          'invalid-input',
        );
      answers.push([question, value]);
    }
    clearTimeout(call.timer);
    for (const [question, value] of answers) question.answer(value);
    return this.step(call, ctx, options);
  }

  /** The held call a state names, or a refusal that says why there is none. */
  private async verify(ctx: ServerContext, wire: string): Promise<HeldCall> {
    const rest = wire.slice(PREFIX.length);
    const dot = rest.indexOf('.');
    const instance = dot < 0 ? '' : rest.slice(0, dot);
    if (instance !== this.instance)
      throw refusal(
        `This requestState names a call held by another gateway instance (${instance || 'unknown'}; this is ${this.instance}): a held call lives on the one instance that started it. Send the retry to that instance, or start the call again (without requestState)`,
        'other-instance',
      );
    let state: HeldState;
    try {
      state = await this.codec.verify(rest.slice(dot + 1), ctx);
    } catch (error) {
      const reason = (error as Error).message;
      if (reason === 'expired') throw expired(this.options.clientRequestTimeoutMs);
      if (reason === 'bind')
        throw refusal(
          'This requestState was issued to another client identity: only the client that started the call can continue it. Start the call again',
          'other-identity',
        );
      throw refusal('This requestState is not one this gateway issued (malformed or altered): start the call again (without requestState)', 'unknown');
    }
    if (Date.now() > state.expiresAt) throw expired(this.options.clientRequestTimeoutMs);
    const call = this.held.get(state.call);
    if (!call)
      throw refusal(
        'No call is held under this requestState any more (it was answered, cancelled or expired, or the gateway restarted): start the call again (without requestState)',
        'unknown',
      );
    if (state.round !== call.round)
      throw refusal(
        `This requestState is of round ${state.round} of the call, which is at round ${call.round}: retry with the latest requestState`,
        'stale',
      );
    return call;
  }

  /** Serves one round: the call's result, or the backend's next questions as an `input_required` result. */
  private async step(
    call: HeldCall,
    ctx: ServerContext,
    { onprogress, onlog, signal }: Pick<CallOptions, 'onprogress' | 'onlog' | 'signal'>,
  ): Promise<CallToolResult | InputRequiredResult> {
    call.busy = true;
    call.onprogress = onprogress;
    call.onlog = onlog;
    // The client gave up on this round (its request ended, or the call's time limit passed): the backend is told.
    let abort: (() => void) | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      abort = () => {
        this.cancel(call, 'the client gave up waiting for the tool call');
        reject(signal?.reason);
      };
    });
    gaveUp.catch(() => {});
    if (signal?.aborted) abort!();
    else signal?.addEventListener('abort', abort!, { once: true });
    try {
      const next = await Promise.race([
        call.result.then((result) => ({ result })),
        call.asking().then(() => ({ asking: true as const })),
        gaveUp,
      ]);
      if ('result' in next) {
        this.finish(call);
        return next.result;
      }
      // Questions the backend asks together go to the client together.
      await new Promise((resolve) => setImmediate(resolve));
      // The result came with them (a backend that asks after answering): nothing asked is related to the call any more.
      if (call.ended) {
        this.finish(call);
        return await call.result;
      }
      if (call.settled) throw new ProtocolError(ProtocolErrorCode.InternalError, 'The held call ended while asking');
      const inputRequests: InputRequests = {};
      for (const [key, question] of call.questions) {
        question.asked = true;
        inputRequests[key] = { method: question.method, params: question.params } as InputRequest;
      }
      call.round++;
      call.expiresAt = Date.now() + this.options.clientRequestTimeoutMs;
      const requestState = `${PREFIX}${this.instance}.${await this.codec.mint({ call: call.id, round: call.round, expiresAt: call.expiresAt }, ctx)}`;
      clearTimeout(call.timer);
      call.timer = setTimeout(() => this.cancel(call, 'the client did not retry in time'), this.options.clientRequestTimeoutMs);
      call.timer.unref();
      return inputRequired({ inputRequests, requestState });
    } catch (error) {
      this.finish(call);
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort!);
      call.busy = false;
      call.onprogress = undefined;
      call.onlog = undefined;
    }
  }

  /**
   * The call ended (result, error or cancellation): its session closes, and a question asked after
   * its end is refused. A cancelled call's open questions stay unanswered: the backend learns of
   * the end from the cancellation, which must reach it first (an error answer would end its call
   * before the cancellation arrives).
   */
  private finish(call: HeldCall, cancelled = false): void {
    if (call.settled) return;
    call.settled = true;
    clearTimeout(call.timer);
    this.held.delete(call.id);
    if (!cancelled) {
      for (const question of call.questions.values())
        question.fail(
          new ProtocolError(
            ProtocolErrorCode.InvalidRequest,
            `${question.method} is not related to any client request in progress: the tool call of this backend session has ended`,
          ),
        );
    }
    // After the refusals above went out (a closed connection sends nothing).
    setImmediate(() =>
      void call.session
        .close()
        .catch((error: unknown) => this.options.logger.warn({ err: error }, "closing a held call's backend session failed")),
    );
  }

  /** Ends a held call the client will not continue: the backend is told (cancelled), its session closed. */
  private cancel(call: HeldCall, reason: string): void {
    if (call.settled) return;
    this.options.logger.info({ tool: call.tool, reason }, 'held tool call cancelled');
    call.controller.abort(new ProtocolError(ProtocolErrorCode.InvalidRequest, `Cancelled: ${reason}`));
    this.finish(call, true);
  }
}

/** The client a held call belongs to: its authenticated identity (one anonymous identity without authentication). */
function identityOf(ctx: ServerContext): string {
  return ctx.http?.authInfo?.clientId ?? '';
}

function refusal(message: string, reason: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, message, { reason });
}

function expired(timeoutMs: number): ProtocolError {
  return refusal(
    `This requestState has expired: a held call waits ${timeoutMs} ms for the client's retry (REQUEST_TIMEOUT_MS), then the backend is told to cancel it. Start the call again (without requestState)`,
    'expired',
  );
}

/** One translator per aggregator (per gateway), made on first use. */
const translators = new WeakMap<Aggregator, HeldCalls>();

export function heldCallsFor(options: HeldCallsOptions): HeldCalls {
  let translator = translators.get(options.aggregator);
  if (!translator) {
    translator = new HeldCalls(options);
    translators.set(options.aggregator, translator);
  }
  return translator;
}
