import { cite, type AdvisorAnswers, type QuestionId } from './answers.js';
import { PATTERN_IDS, type PatternId, type SessionMode, type StoreId } from './ids.js';
import { PATTERNS } from './patterns.js';
import { holds, RULES, type Rule } from './rules.js';

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
}

export interface AddOn {
  id: string;
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
  /** Why this session strategy. */
  sessionStrategy: string;
}

function reasonFor(rule: Rule, pattern: PatternId, answers: AdvisorAnswers): Reason {
  const questions = [...new Set(rule.when.map((c) => c.q))];
  const cited = questions.map((q) => cite(q, answers[q] as never)).join(' + ');
  const points = rule.effects[pattern] ?? 0;
  const verdict = points > 0 ? `${pattern}: ${rule.conclusion}` : `counts against ${pattern} (${rule.conclusion})`;
  return { rule: rule.id, questions, points, text: `${cited} -> ${verdict}` };
}

/** Ranks the six patterns for the answers. Deterministic: ties go to the simpler pattern. */
export function rank(answers: AdvisorAnswers): RankedPattern[] {
  const fired = RULES.filter((rule) => rule.when.every((c) => holds(c, answers)));
  const ranked = PATTERN_IDS.map((pattern, order) => {
    const reasons = fired
      .filter((rule) => rule.effects[pattern] !== undefined)
      .map((rule) => reasonFor(rule, pattern, answers))
      .sort((a, b) => b.points - a.points);
    const score = reasons.reduce((sum, r) => sum + r.points, 0);
    return { entry: { pattern, title: PATTERNS[pattern].title, score, reasons }, order };
  });
  ranked.sort((a, b) => b.entry.score - a.entry.score || a.order - b.order);
  return ranked.map((r) => r.entry);
}

export function sessionModeFor(pattern: PatternId, answers: AdvisorAnswers): SessionMode {
  const modes = PATTERNS[pattern].sessionModes;
  const wanted: SessionMode = answers.serverToClient || pattern === 'gateway' ? 'stateful' : 'stateless';
  return modes.includes(wanted) ? wanted : modes[0]!;
}

/** The session-persistence strategy (the guide's four) for a pattern and the answers. */
export function storeFor(pattern: PatternId, answers: AdvisorAnswers): { store: StoreId; why: string } {
  const { replicated, stores } = PATTERNS[pattern];
  const durability = cite('durability', answers.durability);
  let store: StoreId;
  let why: string;
  if (answers.durability === 'survive-region-loss') {
    store = 'database';
    why = `${durability} -> a global Postgres-compatible database (CockroachDB in production)`;
  } else if (replicated) {
    store = answers.durability === 'survive-restarts' ? 'hybrid' : 'redis';
    why = store === 'hybrid'
      ? `replicas share state + ${durability} -> Redis in front of a database (hybrid)`
      : `replicas share state + ${durability} -> Redis with TTLs and a per-user index`;
  } else {
    store = answers.durability === 'survive-restarts' ? 'database' : 'memory';
    why = store === 'database'
      ? `one instance + ${durability} -> an embedded SQLite database`
      : `one instance + ${durability} -> in memory`;
  }
  if (!stores.includes(store)) {
    const fallback = stores[0]!;
    why = `${PATTERNS[pattern].title} keeps sessions in ${fallback}${pattern === 'serverless' ? ' (stateless: nothing outlives an invocation)' : ''}`;
    store = fallback;
  }
  return { store, why };
}

function addOnsFor(pattern: PatternId, answers: AdvisorAnswers, store: StoreId, sessionMode: SessionMode): AddOn[] {
  const addOns: AddOn[] = [];
  const heavy = answers.peakRps >= 200 || answers.availability !== '99';
  if (pattern === 'gateway' && heavy) {
    addOns.push({ id: 'gateway-replicas', text: 'Run the gateway load-balanced: replicas behind a load balancer, rate limits shared in Redis.' });
  }
  if (pattern === 'multi-server' && (answers.centralAuth || answers.consumers !== 'one-app')) {
    addOns.push({ id: 'gateway-front', text: 'Put a gateway in front when more than one client needs the same servers.' });
  }
  if (sessionMode === 'stateful' && PATTERNS[pattern].replicated) {
    addOns.push({ id: 'shared-session-store', text: `Stateful sessions across replicas: keep the session record in the ${store} store so any replica can rebuild it.` });
  }
  if (pattern === 'multi-region') {
    addOns.push({ id: 'regional-load-balancing', text: 'Each region is a load-balanced deployment; the client fails over between regions.' });
  }
  if (pattern === 'serverless' && answers.durability !== 'may-lose') {
    addOns.push({ id: 'external-state', text: 'Keep durable state outside the function (a database the tools call), never in the invocation.' });
  }
  return addOns;
}

/** The advisor: answers in, an explained recommendation out. Pure. */
export function recommend(answers: AdvisorAnswers): Recommendation {
  const ranking = rank(answers);
  const top = ranking[0]!;
  return explainChoice(answers, top.pattern, ranking);
}

/** The same explanation for a pattern the user chose instead of the top one. */
export function explainChoice(answers: AdvisorAnswers, pattern: PatternId, ranking = rank(answers)): Recommendation {
  const entry = ranking.find((r) => r.pattern === pattern)!;
  const sessionMode = sessionModeFor(pattern, answers);
  const { store, why } = storeFor(pattern, answers);
  return {
    pattern,
    ranking,
    reasons: entry.reasons,
    limitations: [...PATTERNS[pattern].limitations],
    addOns: addOnsFor(pattern, answers, store, sessionMode),
    store,
    sessionMode,
    sessionStrategy: `${sessionMode} sessions, ${store} store: ${why}`,
  };
}
