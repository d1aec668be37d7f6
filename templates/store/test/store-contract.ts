import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuplicateSessionError, SessionStoreUnavailableError, type Clock, type SessionStore } from '../src/store/session-store.js';

/**
 * One contract, every store: each store's suite (test/store.<kind>.test.ts) runs it against its
 * real services (test/services.ts). Every run uses its own key prefix and table names, so
 * parallel runs never see each other.
 */
export const RUN = `t${Date.now().toString(36)}_${process.pid}_${randomUUID().slice(0, 8)}`;
export const TTL = 60_000;

export class TestClock {
  value = Date.UTC(2030, 0, 1);
  readonly now: Clock = () => this.value;
  advance(ms: number): void {
    this.value += ms;
  }
}

export interface Subject {
  store: SessionStore;
  cleanup(): Promise<void>;
}
export type Factory = (clock: TestClock) => Promise<Subject>;

export function sessionStoreContract(name: string, factory: Factory, { skip = false } = {}): void {
  describe.skipIf(skip)(`session store contract: ${name}`, () => {
    const clock = new TestClock();
    let subject: Subject;
    let store: SessionStore;
    const id = () => `s-${randomUUID()}`;
    const user = () => `u-${randomUUID()}`;

    beforeAll(async () => {
      subject = await factory(clock);
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.cleanup();
    });

    it('create/get round trip', async () => {
      const sessionId = id();
      const userId = user();
      const created = await store.create({
        sessionId,
        userId,
        capabilities: { sampling: {}, roots: { listChanged: true } },
        metadata: { client: 'contract', tags: ['a', 'b'], n: 1.5 },
        initializeRequest: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } },
      });
      expect(created).toEqual({
        sessionId,
        userId,
        capabilities: { sampling: {}, roots: { listChanged: true } },
        metadata: { client: 'contract', tags: ['a', 'b'], n: 1.5 },
        initializeRequest: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } },
        createdAt: clock.value,
        lastActivity: clock.value,
        expiresAt: clock.value + TTL,
      });
      expect(await store.get(sessionId)).toEqual(created);
      const minimal = await store.create({ sessionId: id(), userId });
      expect(await store.get(minimal.sessionId)).toEqual(minimal);
      expect(minimal).not.toHaveProperty('initializeRequest');
      await expect(store.create({ sessionId, userId })).rejects.toBeInstanceOf(DuplicateSessionError);
    });

    it('get of an unknown id is undefined', async () => {
      expect(await store.get(id())).toBeUndefined();
      expect(await store.touch(id())).toBeUndefined();
    });

    it('touch extends expiry (sliding, on the injected clock)', async () => {
      const { sessionId, createdAt } = await store.create({ sessionId: id(), userId: user() });
      clock.advance(TTL * 0.75);
      const touched = await store.touch(sessionId);
      expect(touched).toMatchObject({ sessionId, createdAt, lastActivity: clock.value, expiresAt: clock.value + TTL });
      clock.advance(TTL * 0.75);
      // Past the original expiry, inside the extended one.
      expect(await store.get(sessionId)).toMatchObject({ sessionId, expiresAt: touched!.expiresAt });
    });

    it('expiry removes a session from get, touch and listByUser', async () => {
      const userId = user();
      const { sessionId } = await store.create({ sessionId: id(), userId });
      clock.advance(TTL - 1);
      expect(await store.get(sessionId)).toBeDefined();
      clock.advance(1);
      expect(await store.get(sessionId)).toBeUndefined();
      expect(await store.touch(sessionId)).toBeUndefined();
      expect(await store.listByUser(userId)).toEqual([]);
      // An expired id may be reused.
      await expect(store.create({ sessionId, userId })).resolves.toMatchObject({ sessionId });
    });

    it('delete removes a session; deleting an unknown id is fine', async () => {
      const userId = user();
      const { sessionId } = await store.create({ sessionId: id(), userId });
      await store.delete(sessionId);
      expect(await store.get(sessionId)).toBeUndefined();
      expect(await store.listByUser(userId)).toEqual([]);
      await expect(store.delete(id())).resolves.toBeUndefined();
    });

    it("listByUser returns only that user's live sessions", async () => {
      const [alice, bob] = [user(), user()];
      const old = await store.create({ sessionId: id(), userId: alice });
      clock.advance(TTL / 2);
      const a2 = await store.create({ sessionId: id(), userId: alice });
      const a3 = await store.create({ sessionId: id(), userId: alice });
      const b1 = await store.create({ sessionId: id(), userId: bob });
      clock.advance(TTL / 2);
      const byId = (list: Array<{ sessionId: string }>) => list.map((s) => s.sessionId).sort();
      expect(byId(await store.listByUser(alice))).toEqual([a2.sessionId, a3.sessionId].sort());
      expect(byId(await store.listByUser(alice))).not.toContain(old.sessionId);
      expect(await store.listByUser(bob)).toEqual([b1]);
      expect(await store.listByUser(user())).toEqual([]);
    });

    it('purgeExpired removes expired records and keeps live ones', async () => {
      const userId = user();
      const gone = [await store.create({ sessionId: id(), userId }), await store.create({ sessionId: id(), userId })];
      clock.advance(TTL);
      const live = await store.create({ sessionId: id(), userId });
      // Earlier cases left expired records too: at least these two go.
      expect(await store.purgeExpired()).toBeGreaterThanOrEqual(gone.length);
      expect(await store.purgeExpired()).toBe(0);
      for (const { sessionId } of gone) expect(await store.get(sessionId)).toBeUndefined();
      expect(await store.listByUser(userId)).toEqual([live]);
    });

    it('ping resolves while the store is reachable', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

