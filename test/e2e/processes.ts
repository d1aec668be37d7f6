import type { ResultPromise } from 'execa';

/** A loopback port nothing listens on right now: the one verify --live starts projects on. */
export { freePort } from '../../src/verify/live/local.js';

/** Waits until `url` answers 2xx, failing early when the server process has exited. */
export async function waitForHealth(url: string, child: ResultPromise, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}
