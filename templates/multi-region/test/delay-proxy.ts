import { connect, createServer, type Socket } from 'node:net';

export interface DelayProxy {
  /** Base URL of the proxy, e.g. http://127.0.0.1:40123. */
  url: string;
  /** Points new connections at another port (a region restarted elsewhere). */
  retarget(port: number): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy that holds every chunk for `delayMs` in each direction, so a region
 * on this machine answers as if it were far away (one round trip costs 2 x delayMs more).
 */
export async function delayProxy(targetPort: number, delayMs: number): Promise<DelayProxy> {
  let target = targetPort;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    forwardLater(client, upstream, delayMs);
    forwardLater(upstream, client, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    retarget: (next) => {
      target = next;
    },
    close: async () => {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closing;
    },
  };
}

/** Forwards `from` to `to`, each chunk `delayMs` after it arrived, in order. */
function forwardLater(from: Socket, to: Socket, delayMs: number): void {
  const queue: Array<{ due: number; chunk: Buffer | null }> = [];
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    timer = undefined;
    const now = Date.now();
    while (queue.length > 0 && queue[0]!.due <= now) {
      const { chunk } = queue.shift()!;
      if (to.destroyed) return;
      if (chunk === null) to.end();
      else to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(pump, queue[0]!.due - now);
  };
  const push = (chunk: Buffer | null) => {
    queue.push({ due: Date.now() + delayMs, chunk });
    timer ??= setTimeout(pump, delayMs);
  };
  from.on('data', (chunk: Buffer) => push(chunk));
  from.on('end', () => push(null));
  from.on('close', () => {
    if (timer) clearTimeout(timer);
  });
}
