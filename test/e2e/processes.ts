import type { ResultPromise } from 'execa';

/** A loopback port nothing listens on right now: the one verify --live starts projects on. */
export { freePort } from '../../src/verify/runtime/local.js';

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

/**
 * Reads a value until it is accepted, polling instead of sleeping a fixed time; fails after
 * `timeoutMs` naming what it waited for and the last value it read. Returns the accepted value.
 */
export async function eventually<T>(
  read: () => T | Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}; last saw ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
