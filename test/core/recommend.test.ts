import { describe, expect, it } from 'vitest';
import { cite, defaultAnswers, PLATFORMS, QUESTIONS, type AdvisorAnswers } from '../../src/core/answers.js';
import { PATTERN_IDS, type DeployTarget, type PatternId, type StoreId } from '../../src/core/ids.js';
import { deployableOn, explainChoice, rank, recommend } from '../../src/core/recommend.js';
import { CONFLICT_RULES, holds, RULES } from '../../src/core/rules.js';

const answers = (overrides: Partial<AdvisorAnswers>): AdvisorAnswers => ({ ...defaultAnswers(), ...overrides });

/** The decision table: answers -> pattern, store, session mode, and the rules that must fire. */
const TABLE: {
  name: string;
  given: Partial<AdvisorAnswers>;
  pattern: PatternId;
  store: StoreId;
  stateful: boolean;
  cites: string[];
}[] = [
  {
    name: 'defaults: one domain, one app',
    given: {},
    pattern: 'single',
    store: 'memory',
    stateful: false,
    cites: ['one-domain'],
  },
  {
    name: 'local prototype that must survive restarts',
    given: { platform: 'local', durability: 'survive-restarts' },
    pattern: 'single',
    store: 'database',
    stateful: false,
    cites: ['one-domain', 'local-platform'],
  },
  {
    name: 'three domains for one agent',
    given: { domains: 3 },
    pattern: 'multi-server',
    store: 'memory',
    stateful: false,
    cites: ['several-domains', 'one-consumer-aggregates'],
  },
  {
    name: 'central auth across 4 backends',
    given: { domains: 4, centralAuth: true, consumers: 'teams' },
    pattern: 'gateway',
    store: 'redis',
    stateful: true,
    cites: ['central-policy', 'many-consumers'],
  },
  {
    name: 'backends of separate teams',
    given: { domains: 2, separateTeams: true, consumers: 'public' },
    pattern: 'gateway',
    store: 'redis',
    stateful: true,
    cites: ['separate-owners'],
  },
  {
    name: 'high load, one domain',
    given: { peakRps: 800, availability: '99.9' },
    pattern: 'load-balanced',
    store: 'redis',
    stateful: false,
    cites: ['high-load', 'no-single-point'],
  },
  {
    name: 'many sessions with sampling that survive restarts',
    given: { concurrentSessions: 5000, serverToClient: true, durability: 'survive-restarts', platform: 'kubernetes' },
    pattern: 'load-balanced',
    store: 'hybrid',
    stateful: true,
    cites: ['many-sessions'],
  },
  {
    name: 'rare calls on Lambda',
    given: { platform: 'lambda', traffic: 'rare' },
    pattern: 'serverless',
    store: 'memory',
    stateful: false,
    cites: ['function-platform', 'bursty-traffic'],
  },
  {
    name: 'spiky traffic on Vercel',
    given: { platform: 'vercel', traffic: 'spiky', peakRps: 300 },
    pattern: 'serverless',
    store: 'memory',
    stateful: false,
    cites: ['function-platform'],
  },
  {
    name: 'global users, region-proof sessions',
    given: { geography: 'multi-region', durability: 'survive-region-loss', availability: '99.99' },
    pattern: 'multi-region',
    store: 'database',
    stateful: false,
    cites: ['global-users', 'region-durable-sessions'],
  },
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

  it('server-to-client needs rule out serverless wherever another pattern deploys', () => {
    const rec = recommend(answers({ platform: 'containers', traffic: 'rare', serverToClient: true }));
    expect(rec.pattern).not.toBe('serverless');
    const serverless = rec.ranking.find((r) => r.pattern === 'serverless')!;
    expect(serverless.reasons.find((r) => r.rule === 'server-to-client')?.points).toBeLessThan(0);
  });

  it('server-to-client on Lambda stays on Lambda and names the conflict with what to change', () => {
    const rec = recommend(answers({ platform: 'lambda', traffic: 'rare', serverToClient: true }));
    expect(rec).toMatchObject({ pattern: 'serverless', deploy: ['lambda'] });
    const conflict = rec.conflicts.find((c) => c.id === 'server-to-client-on-functions')!;
    expect(conflict.text).toMatch(
      /tools need server-to-client requests \+ 2026-era and 2025-era clients \+ runs on AWS Lambda -> .*sessions/,
    );
    expect(conflict.change).toMatch(/--platform containers or --platform kubernetes; or --clients modern/);
    expect(rec).toMatchObject({ protocol: 'dual', sessionMode: 'stateless' });
  });

  it('2026-era clients take input requests as input_required rounds: server-to-client on Lambda is no conflict', () => {
    const rec = recommend(answers({ platform: 'lambda', traffic: 'rare', serverToClient: true, clients: 'modern' }));
    expect(rec).toMatchObject({ pattern: 'serverless', protocol: 'modern', sessionMode: 'stateless', conflicts: [] });
    const serverless = rec.ranking.find((r) => r.pattern === 'serverless')!;
    expect(serverless.reasons.map((r) => r.rule)).toContain('server-to-client-modern');
    expect(serverless.reasons.map((r) => r.rule)).not.toContain('server-to-client');
    expect(rec.protocolReason).toMatch(/^2026-era clients only -> modern: .*-32022/);
  });

  it('keeps a sessionful 2025 leg only where 2025-era clients need server-to-client requests', () => {
    const base = { platform: 'kubernetes', serverToClient: true, peakRps: 500 } as const;
    expect(recommend(answers({ ...base, clients: 'mixed' }))).toMatchObject({
      pattern: 'load-balanced',
      protocol: 'dual',
      sessionMode: 'stateful',
    });
    expect(recommend(answers({ ...base, clients: 'legacy' }))).toMatchObject({
      protocol: 'dual',
      sessionMode: 'stateful',
    });
    expect(recommend(answers({ ...base, clients: 'modern' }))).toMatchObject({
      pattern: 'load-balanced',
      protocol: 'modern',
      sessionMode: 'stateless',
    });
    expect(recommend(answers({ ...base, serverToClient: false, clients: 'mixed' })).protocolReason).toMatch(
      /-> dual: .*served statelessly/,
    );
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
      for (let i = 1; i < rec.ranking.length; i++)
        expect(rec.ranking[i - 1]!.score).toBeGreaterThanOrEqual(rec.ranking[i]!.score);
      // The best-scoring pattern that deploys on the platform; a better one that cannot is a named conflict.
      expect(rec.pattern).toBe(rec.ranking.find((r) => r.deployable)!.pattern);
      if (rec.ranking[0]!.score > rec.ranking.find((r) => r.deployable)!.score) {
        expect(
          rec.conflicts
            .map((c) => c.id)
            .some((id) => id === 'pattern-not-on-platform' || CONFLICT_RULES.some((r) => r.id === id)),
        ).toBe(true);
      }
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

const DURABILITIES = ['may-lose', 'survive-restarts', 'survive-region-loss'] as const;
const LEVEL: Record<StoreId, number> = { memory: 0, redis: 1, hybrid: 2, database: 2 };

describe('recommend: durability picks the store', () => {
  it('never inverts for the gateway: may-lose, survive-restarts and survive-region-loss never land on memory', () => {
    const gateway = {
      domains: 4,
      centralAuth: true,
      consumers: 'teams' as const,
      platform: 'kubernetes' as const,
      availability: '99.9' as const,
    };
    const stores = DURABILITIES.map(
      (durability) => explainChoice(answers({ ...gateway, durability }), 'gateway').store,
    );
    expect(stores).toEqual(['redis', 'redis', 'redis']);
  });

  it('says Redis must persist (AOF) for a durable need, and offers hybrid where the pattern has it', () => {
    const gateway = recommend(
      answers({ domains: 4, centralAuth: true, consumers: 'teams', durability: 'survive-restarts' }),
    );
    expect(gateway.store).toBe('redis');
    expect(gateway.sessionStrategy).toMatch(/AOF/);
    expect(gateway.addOns.find((a) => a.id === 'redis-persistence')?.text).toMatch(
      /appendonly yes.*no database-backed store/,
    );
    const balanced = explainChoice(answers({ durability: 'survive-restarts', peakRps: 500 }), 'load-balanced');
    expect(balanced.store).toBe('hybrid');
    expect(balanced.addOns.map((a) => a.id)).not.toContain('redis-persistence');
    expect(
      recommend(answers({ domains: 4, centralAuth: true, consumers: 'teams' })).addOns.map((a) => a.id),
    ).not.toContain('redis-persistence');
  });

  it('names the conflict instead of downgrading when the pattern has no store that keeps sessions', () => {
    const rec = explainChoice(answers({ domains: 3, durability: 'survive-restarts' }), 'multi-server');
    expect(rec.store).toBe('memory');
    const conflict = rec.conflicts.find((c) => c.id === 'durability-unmet')!;
    expect(conflict.text).toMatch(/sessions must survive restarts .*-> multi-server offers memory/);
    expect(conflict.change).toMatch(/--pattern single or --pattern gateway.*--durability may-lose/);
    const regional = explainChoice(answers({ durability: 'survive-region-loss' }), 'load-balanced');
    expect(regional.conflicts.find((c) => c.id === 'durability-unmet')?.text).toMatch(/runs in one region/);
  });

  it('writes the add-on for the store it chose, never "the memory store so any replica can rebuild it"', () => {
    for (const durability of DURABILITIES) {
      const rec = recommend(
        answers({
          domains: 4,
          centralAuth: true,
          consumers: 'teams',
          serverToClient: true,
          platform: 'kubernetes',
          durability,
        }),
      );
      const shared = rec.addOns.find((a) => a.id === 'shared-session-store');
      expect(shared?.text).toMatch(rec.store === 'redis' ? /in Redis, shared/ : /database/);
      expect(shared?.text).not.toMatch(/memory/);
    }
  });
});

describe('recommend: the platform', () => {
  it.each([
    ['kubernetes', { peakRps: 500 }, ['docker', 'k8s']],
    ['containers', { peakRps: 500 }, ['docker', 'compose']],
    ['local', {}, ['docker']],
    ['lambda', {}, ['lambda']],
    ['vercel', {}, ['vercel']],
  ] as const)('%s shows in the deploy targets', (platform, more, deploy) => {
    const rec = recommend(answers({ platform, ...more }));
    expect(rec.deploy).toEqual(deploy);
    expect(rec.deployReason).toBe(`${cite('platform', platform)} -> ${deploy.join(', ')}`);
  });

  it('every platform runs at least one pattern', () => {
    for (const platform of PLATFORMS)
      expect(
        PATTERN_IDS.filter((p) => deployableOn(p, platform)),
        platform,
      ).not.toEqual([]);
    expect(PATTERN_IDS.filter((p) => deployableOn(p, 'lambda'))).toEqual(['serverless']);
    expect(deployableOn('multi-region', 'local')).toBe(false);
  });

  it('keeps Kubernetes with the store for 4 teams with central auth (the pair k8s + memory never comes out)', () => {
    const rec = recommend(
      answers({
        domains: 4,
        consumers: 'teams',
        centralAuth: true,
        platform: 'kubernetes',
        availability: '99.9',
        durability: 'survive-restarts',
      }),
    );
    expect(rec).toMatchObject({ pattern: 'gateway', store: 'redis', deploy: ['docker', 'k8s'], conflicts: [] });
  });

  it('picks a pattern that deploys there and says what it gave up', () => {
    const rec = recommend(answers({ domains: 5, consumers: 'public', centralAuth: true, platform: 'lambda' }));
    expect(rec.pattern).toBe('serverless');
    expect(rec.ranking[0]).toMatchObject({ pattern: 'gateway', deployable: false });
    const conflict = rec.conflicts.find((c) => c.id === 'pattern-not-on-platform')!;
    expect(conflict.text).toMatch(
      /runs on AWS Lambda .*-> gateway fits the other answers best .*serverless is recommended instead, giving up: .*one place for auth/,
    );
    expect(conflict.change).toMatch(/--platform kubernetes, --platform containers or --platform local to get gateway/);
  });

  it('names the conflict when a chosen pattern cannot deploy on the platform', () => {
    const rec = explainChoice(answers({ platform: 'lambda' }), 'gateway');
    expect(rec.deploy).toEqual(['docker', 'compose']);
    expect(rec.conflicts.find((c) => c.id === 'pattern-not-on-platform')?.change).toMatch(
      /--pattern serverless to run on lambda/,
    );
    expect(
      explainChoice(answers({ platform: 'local', geography: 'multi-region' }), 'multi-region').conflicts.map(
        (c) => c.id,
      ),
    ).toContain('pattern-not-on-platform');
  });
});

describe('recommend: ties and assumed answers', () => {
  it('says when the top scores tie and why the simpler pattern was picked', () => {
    const rec = recommend(answers({ platform: 'local', availability: '99.9' }));
    expect(rec.pattern).toBe('single');
    expect(rec.tie).toMatchObject({ patterns: ['single', 'load-balanced'] });
    expect(rec.tie!.text).toMatch(
      /single and load-balanced tie at \d+ points: single is picked as the simplest.*load-balanced gains from 99\.9% availability target/,
    );
    expect(recommend(answers({})).tie).toBeUndefined();
  });

  it('lists the answers that were assumed, cited as in reasons', () => {
    const rec = recommend(answers({ domains: 2 }), ['peakRps', 'traffic']);
    expect(rec.assumed).toEqual([
      { question: 'peakRps', flag: '--peak-rps', value: 10, text: 'peak 10 req/s' },
      { question: 'traffic', flag: '--traffic', value: 'steady', text: 'steady traffic' },
    ]);
    expect(recommend(answers({})).assumed).toEqual([]);
  });
});

/** Every combination of a few values per question: small enough to enumerate, wide enough to meet every rule. */
function* everyAnswerSet(): Generator<AdvisorAnswers> {
  const values: { [K in keyof AdvisorAnswers]: readonly AdvisorAnswers[K][] } = {
    domains: [1, 3],
    consumers: ['one-app', 'teams', 'public'],
    centralAuth: [false, true],
    peakRps: [10, 500],
    concurrentSessions: [10, 5000],
    traffic: ['steady', 'spiky', 'rare'],
    serverToClient: [false, true],
    clients: ['modern', 'mixed'],
    geography: ['one-region', 'multi-region'],
    availability: ['99', '99.9', '99.99'],
    platform: ['kubernetes', 'lambda', 'vercel', 'containers', 'local'],
    durability: ['may-lose'],
    separateTeams: [false, true],
  };
  const keys = Object.keys(values) as (keyof AdvisorAnswers)[];
  const walk = function* (i: number, acc: Partial<AdvisorAnswers>): Generator<AdvisorAnswers> {
    if (i === keys.length) return yield acc as AdvisorAnswers;
    for (const v of values[keys[i]!]) yield* walk(i + 1, { ...acc, [keys[i]!]: v });
  };
  yield* walk(0, {});
}

describe('recommend: properties over every enumerated answer set', () => {
  it('durability maps to stores monotonically, memory only with a named conflict, the platform always deployed', () => {
    // Violations are collected and compared once: an expect per answer set would dominate the run time.
    const broken: string[] = [];
    const reached = new Set<string>();
    const conflictsSeen = new Set<string>();
    let count = 0;
    for (const base of everyAnswerSet()) {
      const recs = DURABILITIES.map((durability) => recommend({ ...base, durability }));
      for (const [i, rec] of recs.entries()) {
        const given: AdvisorAnswers = { ...base, durability: DURABILITIES[i]! };
        const where = `${JSON.stringify(given)} -> ${rec.pattern}/${rec.store}`;
        count++;
        reached.add(rec.pattern);
        for (const c of rec.conflicts) {
          conflictsSeen.add(c.id);
          if (!c.questions.every((q) => c.text.includes(cite(q, given[q] as never))))
            broken.push(`${where}: ${c.id} does not cite its answers`);
          if (!/--[a-z]/.test(c.change)) broken.push(`${where}: ${c.id} names no flag to change`);
        }
        if (rec.store === 'memory' && !['single', 'multi-server', 'serverless'].includes(rec.pattern))
          broken.push(`${where}: replicas on memory`);
        if (
          rec.store === 'memory' &&
          given.durability !== 'may-lose' &&
          !rec.conflicts.some((c) => c.id === 'durability-unmet')
        )
          broken.push(`${where}: durable need on memory, unsaid`);
        if (rec.deploy.includes('k8s') && rec.store === 'memory') broken.push(`${where}: k8s with memory`);
        const target = { kubernetes: 'k8s', containers: 'docker', local: 'docker', lambda: 'lambda', vercel: 'vercel' }[
          base.platform
        ] as DeployTarget;
        if (!rec.deploy.includes(target)) broken.push(`${where}: ${base.platform} not in ${rec.deploy.join(',')}`);
      }
      const levels = recs.map((rec) => LEVEL[rec.store]);
      if (levels.some((level, i) => i > 0 && level < levels[i - 1]!))
        broken.push(`${JSON.stringify(base)}: stores ${recs.map((r) => r.store).join(' > ')} by durability`);
      if (count % 7 === 0) {
        for (const pattern of PATTERN_IDS) {
          const chosen = DURABILITIES.map(
            (durability) => explainChoice({ ...base, durability }, pattern, recs[0]!.ranking).store,
          );
          if (chosen.some((store, i) => i > 0 && LEVEL[store] < LEVEL[chosen[i - 1]!]))
            broken.push(`${JSON.stringify(base)}: ${pattern} stores ${chosen.join(' > ')}`);
        }
      }
    }
    expect(broken.slice(0, 10)).toEqual([]);
    expect(count).toBeGreaterThan(50_000);
    expect([...reached].sort()).toEqual([...PATTERN_IDS].sort());
    const computed = ['availability-unmet', 'durability-unmet', 'pattern-not-on-platform'];
    expect([...conflictsSeen].sort()).toEqual([...computed, ...CONFLICT_RULES.map((r) => r.id)].sort());
  });

  it('is deterministic', () => {
    let i = 0;
    for (const a of everyAnswerSet())
      if (i++ % 97 === 0) expect(recommend(a, ['domains'])).toEqual(recommend({ ...a }, ['domains']));
  });
});
