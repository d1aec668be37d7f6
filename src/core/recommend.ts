import { cite, PLATFORMS, questionFor, type AdvisorAnswers, type QuestionId } from './answers.js';
import {
  PATTERN_IDS,
  type DeployTarget,
  type PatternId,
  type ProtocolPosture,
  type SessionMode,
  type StoreId,
} from './ids.js';
import { PATTERNS } from './patterns.js';
import { patternFor, type AddOn, type Reach } from '../patterns/index.js';
import {
  CONFLICT_RULES,
  DURABILITY_NEEDS,
  holds,
  PLATFORM_FACTS,
  questionsOf,
  RULES,
  STORE_DURABILITY,
  STORE_PREFERENCE,
  type Platform,
  type Rule,
} from './rules.js';

/** Why a pattern gained or lost points: the answers that produced it and what follows. */
export interface Reason {
  rule: string;
  /** The questions whose answers this reason cites. */
  questions: QuestionId[];
  points: number;
  /** "central auth/rate limiting/audit required + 4 tool domains -> gateway: one place for auth, ..." */
  text: string;
}

export interface RankedPattern {
  pattern: PatternId;
  title: string;
  score: number;
  reasons: Reason[];
  /** It generates a deploy target for the answered platform. */
  deployable: boolean;
  /** Why it cannot deploy on the answered platform, when it cannot. */
  blocked?: string;
}

export type { AddOn } from '../patterns/index.js';

/** Answers that disagree, with each other or with the pattern's limits, and what would resolve it. */
export interface Conflict {
  id: string;
  /** The questions whose answers disagree. */
  questions: QuestionId[];
  /** "<the answers, cited> -> <why they cannot all hold>" */
  text: string;
  /** What to change, naming the flags. */
  change: string;
}

/** Patterns that scored the same as the chosen one, and why the chosen one was picked. */
export interface Tie {
  patterns: PatternId[];
  score: number;
  text: string;
}

/** An answer nobody gave: the default `--yes` filled in. */
export interface AssumedAnswer {
  question: QuestionId;
  flag: string;
  value: AdvisorAnswers[QuestionId];
  /** How it is cited, e.g. "peak 10 req/s". */
  text: string;
}

/** The advisor's answer. Pure data: printable, serialisable, testable. */
export interface Recommendation {
  pattern: PatternId;
  ranking: RankedPattern[];
  /** The chosen pattern's reasons, strongest first. */
  reasons: Reason[];
  limitations: string[];
  addOns: AddOn[];
  store: StoreId;
  sessionMode: SessionMode;
  /** The MCP revisions the generated server answers. */
  protocol: ProtocolPosture;
  /** Why this posture: "2026-era and 2025-era clients -> dual: ...". */
  protocolReason: string;
  /** Why this session strategy. */
  sessionStrategy: string;
  /** Deploy targets for the answered platform (the pattern's defaults when it cannot deploy there: see conflicts). */
  deploy: DeployTarget[];
  /** Why these targets: "runs on Kubernetes -> docker, k8s". */
  deployReason: string;
  /** Empty when the answers agree with each other and with the pattern. */
  conflicts: Conflict[];
  tie?: Tie;
  assumed: AssumedAnswer[];
}

/** How far a pattern's instances reach: its definition says (`reach`). */
const reachOf = (pattern: PatternId): Reach => patternFor(pattern).reach;

const AVAILABILITY_REACHED: Record<Reach, AdvisorAnswers['availability']> = {
  one: '99',
  replicas: '99.9',
  functions: '99.9',
  regions: '99.99',
};

const AVAILABILITY_ORDER: readonly AdvisorAnswers['availability'][] = ['99', '99.9', '99.99'];

const flag = (q: QuestionId) => `--${questionFor(q).flag}`;

const citing = (questions: readonly QuestionId[], answers: AdvisorAnswers) =>
  questions.map((q) => cite(q, answers[q] as never)).join(' + ');

const list = (items: readonly string[], word = 'or') =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;

/** Whether a pattern generates what the platform runs (and, on one machine, needs no second region). */
export function deployableOn(pattern: PatternId, platform: Platform): boolean {
  const facts = PLATFORM_FACTS[platform];
  return PATTERNS[pattern].deploy.includes(facts.target) && !(facts.oneMachine && reachOf(pattern) === 'regions');
}

function blockedOn(pattern: PatternId, answers: AdvisorAnswers): string | undefined {
  if (deployableOn(pattern, answers.platform)) return undefined;
  const facts = PLATFORM_FACTS[answers.platform];
  return PATTERNS[pattern].deploy.includes(facts.target)
    ? `${cite('platform', answers.platform)}: ${pattern} needs several regions`
    : `${cite('platform', answers.platform)}: ${pattern} generates ${PATTERNS[pattern].deploy.join(', ')}, not ${facts.target}`;
}

const platformFlags = (pattern: PatternId, except: Platform) =>
  list(PLATFORMS.filter((p) => p !== except && deployableOn(pattern, p)).map((p) => `--platform ${p}`));

/** The deploy targets for a pattern on the answered platform: the platform's target and what comes with it. */
export function deployFor(pattern: PatternId, platform: Platform): DeployTarget[] {
  if (!deployableOn(pattern, platform)) return [...PATTERNS[pattern].defaultDeploy];
  const facts = PLATFORM_FACTS[platform];
  return PATTERNS[pattern].deploy.filter((t) => t === facts.target || facts.with.includes(t));
}

function reasonFor(rule: Rule, pattern: PatternId, answers: AdvisorAnswers): Reason {
  const questions = questionsOf(rule.when);
  const points = rule.effects[pattern] ?? 0;
  const verdict = points > 0 ? `${pattern}: ${rule.conclusion}` : `counts against ${pattern} (${rule.conclusion})`;
  return { rule: rule.id, questions, points, text: `${citing(questions, answers)} -> ${verdict}` };
}

/** Ranks the six patterns for the answers by score. Deterministic: ties keep catalog order (simpler first). */
export function rank(answers: AdvisorAnswers): RankedPattern[] {
  const fired = RULES.filter((rule) => rule.when.every((c) => holds(c, answers)));
  const ranked = PATTERN_IDS.map((pattern, order) => {
    const reasons = fired
      .filter((rule) => rule.effects[pattern] !== undefined)
      .map((rule) => reasonFor(rule, pattern, answers))
      .sort((a, b) => b.points - a.points);
    const score = reasons.reduce((sum, r) => sum + r.points, 0);
    const blocked = blockedOn(pattern, answers);
    const entry: RankedPattern = {
      pattern,
      title: PATTERNS[pattern].title,
      score,
      reasons,
      deployable: blocked === undefined,
      ...(blocked ? { blocked } : {}),
    };
    return { entry, order };
  });
  ranked.sort((a, b) => b.entry.score - a.entry.score || a.order - b.order);
  return ranked.map((r) => r.entry);
}

/**
 * The pattern's default session mode, unless tools need server-to-client requests, 2025-era
 * clients connect (2026-era clients get input requests as stateless input_required rounds) and
 * the pattern offers the sessionful leg.
 */
export function sessionModeFor(pattern: PatternId, answers: AdvisorAnswers): SessionMode {
  const modes = PATTERNS[pattern].sessionModes;
  const legacyClients = answers.clients !== 'modern';
  return answers.serverToClient && legacyClients && modes.includes('stateful') ? 'stateful' : modes[0]!;
}

/** Which revisions to serve, and why: only 2026-era clients need no 2025 leg; anything else keeps it. */
export function protocolFor(
  answers: AdvisorAnswers,
  sessionMode: SessionMode,
): { protocol: ProtocolPosture; why: string } {
  const clients = cite('clients', answers.clients);
  if (answers.clients === 'modern') {
    return {
      protocol: 'modern',
      why: `${clients} -> modern: MCP 2026-07-28 only, stateless; a 2025-era initialize is refused with -32022`,
    };
  }
  const leg =
    sessionMode === 'stateful'
      ? 'a sessionful 2025 leg keeps server-to-client requests for 2025-era clients'
      : '2025-era clients are served statelessly, request by request';
  return { protocol: 'dual', why: `${clients} -> dual: MCP 2026-07-28 and the 2025 revisions on one endpoint; ${leg}` };
}

interface StoreChoice {
  store: StoreId;
  why: string;
  /** The store (or the pattern's reach) falls short of the durability asked. */
  unmet: boolean;
}

/** The session-persistence strategy (the guide's four): the best store the pattern offers for the durability asked. */
export function storeFor(pattern: PatternId, answers: AdvisorAnswers): StoreChoice {
  const { stores } = PATTERNS[pattern];
  const reach = reachOf(pattern);
  const shared = reach === 'replicas' || reach === 'regions';
  // Sessions that span regions live in the global database, whatever the durability asked.
  const need = reach === 'regions' ? 'survive-region-loss' : answers.durability;
  const store = STORE_PREFERENCE[need][shared ? 'shared' : 'own'].find((s) => stores.includes(s))!;
  const durability = cite('durability', answers.durability);
  const wanted = DURABILITY_NEEDS[answers.durability];
  const unmet =
    STORE_DURABILITY[store] < wanted || (answers.durability === 'survive-region-loss' && reach !== 'regions');
  const where = shared
    ? 'replicas share state'
    : reach === 'functions'
      ? 'a fresh server per invocation'
      : 'one instance';
  const what: Record<StoreId, string> = {
    memory: reach === 'functions' ? 'nothing kept between invocations (stateless)' : 'in memory',
    redis:
      wanted >= 1 ? 'Redis with AOF persistence, TTLs and a per-user index' : 'Redis with TTLs and a per-user index',
    hybrid: 'Redis in front of a database (hybrid): durable in the database when Redis is lost',
    database:
      reach === 'regions'
        ? 'a global Postgres-compatible database (CockroachDB in production)'
        : shared
          ? 'a shared Postgres database'
          : 'an embedded SQLite database (Postgres with DATABASE_URL)',
  };
  const why = `${where} + ${durability} -> ${what[store]}${unmet ? ' (falls short: see conflicts)' : ''}`;
  return { store, why, unmet };
}

/** The pattern's own add-ons (its definition), then the store's advice. */
function addOnsFor(pattern: PatternId, answers: AdvisorAnswers, store: StoreId, sessionMode: SessionMode): AddOn[] {
  const storeName = {
    memory: 'memory',
    redis: 'Redis',
    database: 'the database',
    hybrid: 'Redis and the database behind it',
  }[store];
  const addOns: AddOn[] = [...(patternFor(pattern).addOns?.({ answers, store, sessionMode, storeName }) ?? [])];
  if (sessionMode === 'stateful' && store !== 'memory' && reachOf(pattern) !== 'one') {
    addOns.push({
      id: 'shared-session-store',
      text: `Stateful sessions across replicas: the session record lives in ${storeName}, shared by every replica, so any replica can rebuild it.`,
    });
  }
  if (store === 'redis' && answers.durability !== 'may-lose') {
    const instead = PATTERNS[pattern].stores.filter((s) => STORE_DURABILITY[s] > STORE_DURABILITY.redis);
    addOns.push({
      id: 'redis-persistence',
      text: `Run Redis with persistence (appendonly yes, appendfsync everysec): without AOF a Redis restart loses every session. ${
        instead.length > 0
          ? `Or choose --store ${instead.join(' or --store ')}, durable in a database.`
          : `The ${pattern} pattern offers no database-backed store, so AOF is what keeps sessions.`
      }`,
    });
  }
  return addOns;
}

/** Patterns that meet a test and deploy on the answered platform, as `--pattern` choices. */
function alternatives(answers: AdvisorAnswers, except: PatternId, meets: (p: PatternId) => boolean): PatternId[] {
  return PATTERN_IDS.filter((p) => p !== except && meets(p) && deployableOn(p, answers.platform));
}

function conflictsFor(
  answers: AdvisorAnswers,
  pattern: PatternId,
  storeChoice: StoreChoice,
  displaced: RankedPattern | undefined,
): Conflict[] {
  const conflicts: Conflict[] = [];
  for (const rule of CONFLICT_RULES) {
    if (!rule.when.every((c) => holds(c, answers))) continue;
    const questions = questionsOf(rule.when);
    conflicts.push({
      id: rule.id,
      questions,
      text: `${citing(questions, answers)} -> ${rule.problem}`,
      change: rule.change,
    });
  }
  const said = new Set(conflicts.map((c) => c.id));
  const platform = cite('platform', answers.platform);

  // A contradiction between answers that involves the platform already says what moving off it would give.
  const platformContradicted = conflicts.some((c) => c.questions.includes('platform'));
  if (displaced && !platformContradicted) {
    const gains = displaced.reasons.filter((r) => r.points > 0);
    const questions = [...new Set<QuestionId>(['platform', ...gains.flatMap((r) => r.questions)])];
    const rules = RULES.filter((r) => gains.some((g) => g.rule === r.id));
    conflicts.push({
      id: 'pattern-not-on-platform',
      questions,
      text:
        `${citing(questions, answers)} -> ${displaced.pattern} fits the other answers best (${displaced.score} points) but cannot deploy there ` +
        `(${displaced.blocked}); ${pattern} is recommended instead, giving up: ${rules.map((r) => r.conclusion).join('; ')}`,
      change: `answer ${platformFlags(displaced.pattern, answers.platform)} to get ${displaced.pattern}, or keep ${flag('platform')} ${answers.platform} and accept ${pattern}`,
    });
  } else if (!displaced && !deployableOn(pattern, answers.platform)) {
    const here = alternatives(answers, pattern, () => true);
    conflicts.push({
      id: 'pattern-not-on-platform',
      questions: ['platform'],
      text: `${platform} -> ${pattern} cannot deploy there (${blockedOn(pattern, answers)})`,
      change: `answer ${platformFlags(pattern, answers.platform)}, or choose --pattern ${here.join(' or --pattern ')} to run on ${answers.platform}`,
    });
  }

  if (storeChoice.unmet) {
    const meets = (p: PatternId) => !storeFor(p, answers).unmet;
    const here = alternatives(answers, pattern, meets);
    // Sessions survive anything in a pattern that spans regions; its platforms are where to move.
    const regional = PATTERN_IDS.find((p) => reachOf(p) === 'regions');
    const kept =
      answers.durability === 'survive-region-loss' && STORE_DURABILITY[storeChoice.store] >= 1
        ? 'survive-restarts'
        : 'may-lose';
    const why =
      reachOf(pattern) === 'functions'
        ? `${pattern} keeps no sessions: every invocation starts a fresh server, so nothing is kept`
        : answers.durability === 'survive-region-loss' && reachOf(pattern) !== 'regions'
          ? `${pattern} runs in one region, so its ${storeChoice.store} store goes down with it`
          : `${pattern} offers ${PATTERNS[pattern].stores.join(', ')}: ${storeChoice.store} loses sessions on a restart`;
    conflicts.push({
      id: 'durability-unmet',
      questions: ['durability', 'platform'],
      text: `${citing(['durability', 'platform'], answers)} -> ${why}`,
      change: `${here.length > 0 ? `choose --pattern ${here.join(' or --pattern ')}, or ` : ''}answer ${flag('durability')} ${kept}${
        here.length === 0 && regional
          ? `, or move to a platform that keeps sessions (${platformFlags(regional, answers.platform)})`
          : ''
      }`,
    });
  }

  const reached = AVAILABILITY_REACHED[reachOf(pattern)];
  if (
    AVAILABILITY_ORDER.indexOf(answers.availability) > AVAILABILITY_ORDER.indexOf(reached) &&
    !said.has('availability-on-one-machine')
  ) {
    const meets = (p: PatternId) =>
      AVAILABILITY_ORDER.indexOf(AVAILABILITY_REACHED[reachOf(p)]) >= AVAILABILITY_ORDER.indexOf(answers.availability);
    const here = alternatives(answers, pattern, meets);
    const limit = {
      one: 'one instance is a single point of failure',
      replicas: 'its replicas run in one region, so a region outage stops it',
      functions: 'its functions run in one region, so a region outage stops them',
      regions: '',
    }[reachOf(pattern)];
    conflicts.push({
      id: 'availability-unmet',
      questions: ['availability', 'platform'],
      text: `${citing(['availability', 'platform'], answers)} -> ${pattern} reaches about ${reached}%: ${limit}`,
      change: `${here.length > 0 ? `choose --pattern ${here.join(' or --pattern ')}, or ` : ''}answer ${flag('availability')} ${reached}`,
    });
  }
  return conflicts;
}

function tieFor(answers: AdvisorAnswers, ranking: RankedPattern[], chosen: RankedPattern): Tie | undefined {
  const others = ranking.filter((r) => r.deployable && r.pattern !== chosen.pattern && r.score === chosen.score);
  if (others.length === 0) return undefined;
  const favouring = others.map((o) => {
    const gains = o.reasons.filter((r) => r.points > 0).map((r) => citing(r.questions, answers));
    return `${o.pattern} gains from ${gains.length > 0 ? list([...new Set(gains)], 'and') : 'no answer'}`;
  });
  return {
    patterns: [chosen.pattern, ...others.map((o) => o.pattern)],
    score: chosen.score,
    text:
      `${list([chosen.pattern, ...others.map((o) => o.pattern)], 'and')} tie at ${chosen.score} points: ${chosen.pattern} is picked as the simplest of them, ` +
      `with the fewest moving parts to run. ${favouring.join('; ')}; pass --pattern ${others.map((o) => o.pattern).join(' or --pattern ')} to generate ${others.length > 1 ? 'one of them' : 'it'} instead.`,
  };
}

function assumedAnswers(answers: AdvisorAnswers, assumed: readonly QuestionId[]): AssumedAnswer[] {
  return assumed.map((question) => ({
    question,
    flag: flag(question),
    value: answers[question],
    text: cite(question, answers[question] as never),
  }));
}

function explain(
  answers: AdvisorAnswers,
  pattern: PatternId,
  ranking: RankedPattern[],
  assumed: readonly QuestionId[],
  displaced?: RankedPattern,
  tie?: Tie,
): Recommendation {
  const entry = ranking.find((r) => r.pattern === pattern)!;
  const sessionMode = sessionModeFor(pattern, answers);
  const { protocol, why: protocolReason } = protocolFor(answers, sessionMode);
  const storeChoice = storeFor(pattern, answers);
  const { store, why } = storeChoice;
  const deploy = deployFor(pattern, answers.platform);
  return {
    pattern,
    ranking,
    reasons: entry.reasons,
    limitations: [...PATTERNS[pattern].limitations],
    addOns: addOnsFor(pattern, answers, store, sessionMode),
    store,
    sessionMode,
    protocol,
    protocolReason,
    sessionStrategy: `${sessionMode} sessions, ${store} store: ${why}`,
    deploy,
    deployReason: deployableOn(pattern, answers.platform)
      ? `${cite('platform', answers.platform)} -> ${deploy.join(', ')}`
      : `${cite('platform', answers.platform)}, where ${pattern} cannot deploy -> its defaults ${deploy.join(', ')} (see conflicts)`,
    conflicts: conflictsFor(answers, pattern, storeChoice, displaced),
    ...(tie ? { tie } : {}),
    assumed: assumedAnswers(answers, assumed),
  };
}

/**
 * The advisor: answers in, an explained recommendation out. Pure. The pattern is the best-scoring
 * one that deploys on the answered platform; when a better-scoring one cannot, that is a conflict.
 * `assumed` names the answers that were defaults, not given.
 */
export function recommend(answers: AdvisorAnswers, assumed: readonly QuestionId[] = []): Recommendation {
  const ranking = rank(answers);
  // Every platform runs at least one pattern (a test in recommend.test.ts holds that).
  const chosen = ranking.find((r) => r.deployable)!;
  const top = ranking[0]!;
  const displaced = top.pattern !== chosen.pattern && top.score > chosen.score ? top : undefined;
  return explain(answers, chosen.pattern, ranking, assumed, displaced, tieFor(answers, ranking, chosen));
}

/** The same explanation for a pattern the user chose instead of the recommended one. */
export function explainChoice(
  answers: AdvisorAnswers,
  pattern: PatternId,
  ranking = rank(answers),
  assumed: readonly QuestionId[] = [],
): Recommendation {
  return explain(answers, pattern, ranking, assumed);
}
