import type { Context } from 'hono';

/**
 * Returns a response whose body reports when it has been fully sent or abandoned by the
 * client. Streaming (SSE) responses end long after the handler returned, and that later
 * moment is what access logs, metrics, draining and per-request cleanup care about.
 */
export function withResponseEnd(response: Response, onEnd: (outcome: 'complete' | 'aborted') => void): Response {
  let ended = false;
  const end = (outcome: 'complete' | 'aborted') => {
    if (ended) return;
    ended = true;
    onEnd(outcome);
  };
  // Only an event stream outlives the handler; any other answer is complete once returned (and
  // its body is not touched, which would turn the server's lightweight response into a full one).
  if (!response.headers.get('content-type')?.startsWith('text/event-stream') || !response.body) {
    end('complete');
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          end('complete');
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        controller.error(error);
        end('aborted');
      }
    },
    async cancel(reason) {
      end('aborted');
      await reader.cancel(reason).catch(() => undefined);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/**
 * Calls `onEnd` once the context's response has been sent (an event stream: when it ends). The
 * response is replaced only when it is wrapped: setting `c.res` again makes hono rebuild it.
 */
export function onResponseEnd(c: Context, onEnd: (outcome: 'complete' | 'aborted') => void): void {
  const response = withResponseEnd(c.res, onEnd);
  if (response !== c.res) c.res = response;
}
