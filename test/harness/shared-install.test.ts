import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { dependencySetKey, withLock } from '../e2e/generated.js';

const scratch = mkdtempSync(join(tmpdir(), 'shared-install-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the shared install of end-to-end projects', () => {
  it('keys a dependency set by its packages and versions, not by their order', () => {
    const a = dependencySetKey({
      dependencies: { hono: '4.13.19', zod: '4.6.7' },
      devDependencies: { vitest: '4.1.12' },
    });
    expect(
      dependencySetKey({ dependencies: { zod: '4.6.7', hono: '4.13.19' }, devDependencies: { vitest: '4.1.12' } }),
    ).toBe(a);
    expect(
      dependencySetKey({ dependencies: { hono: '4.13.18', zod: '4.6.7' }, devDependencies: { vitest: '4.1.12' } }),
    ).not.toBe(a);
    // A package moved from dependencies to devDependencies is another set.
    expect(
      dependencySetKey({ dependencies: { hono: '4.13.19' }, devDependencies: { vitest: '4.1.12', zod: '4.6.7' } }),
    ).not.toBe(a);
  });

  it('lets one holder at a time install a set', async () => {
    const lock = join(scratch, 'serial.lock');
    const events: string[] = [];
    const hold = (name: string) =>
      withLock(lock, async () => {
        events.push(`${name} in`);
        // Yield to the other holder several times while holding the lock.
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
        events.push(`${name} out`);
      });
    await Promise.all([hold('a'), hold('b')]);
    // Without the lock the two would interleave: a in, b in, a out, b out.
    const [first, second] = events[0] === 'a in' ? ['a', 'b'] : ['b', 'a'];
    expect(events).toEqual([`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
  });

  it('takes over a lock whose owner died, and waits (then gives up) on a live owner', async () => {
    const lock = join(scratch, 'stale.lock');
    const dead = await execa(process.execPath, ['-e', 'console.log(process.pid)']);
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), dead.stdout.trim());
    await expect(withLock(lock, async () => 'taken over')).resolves.toBe('taken over');

    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(process.pid));
    await expect(withLock(lock, async () => 'never', 300)).rejects.toThrow(
      `is still held by process ${process.pid} after 300 ms`,
    );
    rmSync(lock, { recursive: true, force: true });
  });
});
