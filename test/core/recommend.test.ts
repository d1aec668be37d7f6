import { describe, expect, it } from 'vitest';
import { cite, defaultAnswers, QUESTIONS, type AdvisorAnswers } from '../../src/core/answers.js';
import { PATTERN_IDS, type PatternId, type StoreId } from '../../src/core/ids.js';
import { explainChoice, rank, recommend } from '../../src/core/recommend.js';
import { holds, RULES } from '../../src/core/rules.js';

const answers = (overrides: Partial<AdvisorAnswers>): AdvisorAnswers => ({ ...defaultAnswers(), ...overrides });

/** The decision table: answers -> pattern, store, session mode, and the rules that must fire. */
const TABLE: { name: string; given: Partial<AdvisorAnswers>; pattern: PatternId; store: StoreId; stateful: boolean; cites: string[] }[] = [
  { name: 'defaults: one domain, one app', given: {}, pattern: 'single', store: 'memory', stateful: false, cites: ['one-domain'] },
  { name: 'local prototype that must survive restarts', given: { platform: 'local', durability: 'survive-restarts' }, pattern: 'single', store: 'database', stateful: false, cites: ['one-domain', 'local-platform'] },
  { name: 'three domains for one agent', given: { domains: 3 }, pattern: 'multi-server', store: 'memory', stateful: false, cites: ['several-domains', 'one-consumer-aggregates'] },
  { name: 'central auth across 4 backends', given: { domains: 4, centralAuth: true, consumers: 'teams' }, pattern: 'gateway', store: 'redis', stateful: true, cites: ['central-policy', 'many-consumers'] },
  { name: 'backends of separate teams', given: { domains: 2, separateTeams: true, consumers: 'public' }, pattern: 'gateway', store: 'redis', stateful: true, cites: ['separate-owners'] },
  { name: 'high load, one domain', given: { peakRps: 800, availability: '99.9' }, pattern: 'load-balanced', store: 'redis', stateful: false, cites: ['high-load', 'no-single-point'] },
  { name: 'many sessions with sampling that survive restarts', given: { concurrentSessions: 5000, serverToClient: true, durability: 'survive-restarts', platform: 'kubernetes' }, pattern: 'load-balanced', store: 'hybrid', stateful: true, cites: ['many-sessions'] },
  { name: 'rare calls on Lambda', given: { platform: 'lambda', traffic: 'rare' }, pattern: 'serverless', store: 'memory', stateful: false, cites: ['function-platform', 'bursty-traffic'] },
  { name: 'spiky traffic on Vercel', given: { platform: 'vercel', traffic: 'spiky', peakRps: 300 }, pattern: 'serverless', store: 'memory', stateful: false, cites: ['function-platform'] },
  { name: 'global users, region-proof sessions', given: { geography: 'multi-region', durability: 'survive-region-loss', availability: '99.99' }, pattern: 'multi-region', store: 'database', stateful: false, cites: ['global-users', 'region-durable-sessions'] },
];

describe('recommend: decision table', () => {
  for (const row of TABLE) {
    it(row.name, () => {
      const rec = recommend(answers(row.given));
      expect(rec.pattern).toBe(row.pattern);
      expect(rec.store).toBe(row.store);
      expect(rec.sessionMode).toBe(row.stateful ? 'stateful' : 'stateless');
      for (const rule of row.cites) expect(rec.reasons.map((r) => r.rule)).toContain(rule);
    });
  }

  it('reaches every pattern', () => {
    const reached = new Set(TABLE.map((row) => recommend(answers(row.given)).pattern));
    expect([...reached].sort()).toEqual([...PATTERN_IDS].sort());
  });

  it('server-to-client needs rule out serverless even on Lambda', () => {
    const rec = recommend(answers({ platform: 'lambda', traffic: 'rare', serverToClient: true }));
    expect(rec.pattern).not.toBe('serverless');
    const serverless = rec.ranking.find((r) => r.pattern === 'serverless')!;
    expect(serverless.reasons.find((r) => r.rule === 'server-to-client')?.points).toBeLessThan(0);
  });

  it('is deterministic and breaks ties toward the simpler pattern', () => {
    const a = answers({ domains: 2, centralAuth: false, consumers: 'one-app' });
    expect(recommend(a)).toEqual(recommend(a));
    const tie = rank(answers({ platform: 'containers' }));
    const zeros = tie.filter((r) => r.score === 0).map((r) => r.pattern);
    expect(zeros).toEqual(PATTERN_IDS.filter((id) => zeros.includes(id)));
  });
});

/** A small deterministic generator so the invariants are checked over many answer sets. */
function* sampleAnswers(count: number): Generator<AdvisorAnswers> {
  let seed = 42;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
  const pickOf = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  for (let i = 0; i < count; i++) {
    const a = defaultAnswers() as unknown as Record<string, unknown>;
    for (const q of QUESTIONS) {
      if (q.kind === 'boolean') a[q.id] = next() < 0.5;
      else if (q.kind === 'choice') a[q.id] = pickOf(q.choices).value;
      else a[q.id] = pickOf([q.min, 1, 2, 5, 150, 250, 999, 1000, 20000].filter((n) => n >= q.min && n <= q.max));
    }
    yield a as unknown as AdvisorAnswers;
  }
}

describe('recommend: every reason follows from an answer', () => {
  it('holds over 2,000 answer sets', () => {
    for (const a of sampleAnswers(2000)) {
      const rec = recommend(a);
      expect(rec.ranking.map((r) => r.pattern).sort()).toEqual([...PATTERN_IDS].sort());
      for (let i = 1; i < rec.ranking.length; i++) expect(rec.ranking[i - 1]!.score).toBeGreaterThanOrEqual(rec.ranking[i]!.score);
      expect(rec.pattern).toBe(rec.ranking[0]!.pattern);
      for (const entry of rec.ranking) {
        expect(entry.score).toBe(entry.reasons.reduce((s, r) => s + r.points, 0));
        for (const reason of entry.reasons) {
          const rule = RULES.find((r) => r.id === reason.rule)!;
          // The rule's conditions hold for these answers, and the reason cites each answer it used.
          expect(rule.when.every((c) => holds(c, a))).toBe(true);
          for (const q of reason.questions) expect(reason.text).toContain(cite(q, a[q] as never));
          expect(reason.points).toBe(rule.effects[entry.pattern]);
        }
      }
    }
  });

  it('a reason disappears when the answer it cites changes', () => {
    const withAuth = recommend(answers({ domains: 4, centralAuth: true }));
    expect(withAuth.reasons.some((r) => r.rule === 'central-policy' && r.text.includes('4 tool domains'))).toBe(true);
    const without = recommend(answers({ domains: 4, centralAuth: false }));
    expect(without.ranking.flatMap((r) => r.reasons).some((r) => r.rule === 'central-policy')).toBe(false);
  });

  it('every rule can fire', () => {
    const fired = new Set<string>();
    for (const a of sampleAnswers(2000)) for (const entry of rank(a)) for (const r of entry.reasons) fired.add(r.rule);
    expect([...fired].sort()).toEqual(RULES.map((r) => r.id).sort());
  });
});

describe('explainChoice', () => {
  it('explains a pattern the user picked instead, with its own limitations and store', () => {
    const a = answers({ domains: 4, centralAuth: true, consumers: 'teams', peakRps: 500 });
    const rec = explainChoice(a, 'load-balanced');
    expect(rec.pattern).toBe('load-balanced');
    expect(rec.limitations.join(' ')).toMatch(/cookie/);
    expect(['redis', 'database', 'hybrid']).toContain(rec.store);
  });

  it('adds add-ons that follow from the answers', () => {
    const rec = recommend(answers({ domains: 4, centralAuth: true, consumers: 'teams', availability: '99.9' }));
    expect(rec.pattern).toBe('gateway');
    expect(rec.addOns.map((a) => a.id)).toEqual(expect.arrayContaining(['gateway-replicas', 'shared-session-store']));
    expect(recommend(answers({})).addOns).toEqual([]);
  });

  it('keeps serverless stateless with the memory store', () => {
    const rec = recommend(answers({ platform: 'lambda', traffic: 'rare', durability: 'survive-restarts' }));
    expect(rec).toMatchObject({ pattern: 'serverless', sessionMode: 'stateless', store: 'memory' });
    expect(rec.limitations.join(' ')).toMatch(/Cold start/);
  });
});
