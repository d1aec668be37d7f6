import type { AdvisorAnswers, QuestionId } from './answers.js';
import type { DeployTarget, PatternId, StoreId } from './ids.js';

type IntegerQuestion = 'domains' | 'peakRps' | 'concurrentSessions';
type BooleanQuestion = 'centralAuth' | 'serverToClient' | 'separateTeams';
type ChoiceQuestion = Exclude<keyof AdvisorAnswers, IntegerQuestion | BooleanQuestion>;
export type Platform = AdvisorAnswers['platform'];
export type Durability = AdvisorAnswers['durability'];

/** A condition on one answer. Data, so that rules can be listed, documented and tested. */
export type Condition =
  | { q: IntegerQuestion; gte?: number; lte?: number }
  | { q: BooleanQuestion; is: boolean }
  | { [K in ChoiceQuestion]: { q: K; in: readonly AdvisorAnswers[K][] } }[ChoiceQuestion];

/** When every condition holds, each pattern's score moves by its effect, for the stated conclusion. */
export interface Rule {
  id: string;
  when: readonly Condition[];
  effects: Partial<Record<PatternId, number>>;
  /** What follows, cited after the answers: "central auth required + 4 tool domains -> <conclusion>". */
  conclusion: string;
}

/**
 * The advisor's rules. Scores start at zero; the highest total among the patterns that deploy on
 * the answered platform wins, and ties go to the simpler pattern (catalog order) with the tie said.
 * Weights: 4-6 decisive, 2-3 strong, 1 a nudge, negative rules out.
 */
export const RULES: readonly Rule[] = [
  {
    id: 'one-domain',
    when: [{ q: 'domains', lte: 1 }],
    effects: { single: 3 },
    conclusion: 'a single server covers it',
  },
  {
    id: 'local-platform',
    when: [{ q: 'platform', in: ['local'] }],
    effects: { single: 3, 'multi-region': -6, serverless: -6 },
    conclusion: 'one server on one machine',
  },
  {
    id: 'several-domains',
    when: [{ q: 'domains', gte: 2 }],
    effects: { 'multi-server': 3, gateway: 2, single: -2, 'load-balanced': -1 },
    conclusion: 'aggregate tools with namespacing',
  },
  {
    id: 'one-consumer-aggregates',
    when: [
      { q: 'domains', gte: 2 },
      { q: 'consumers', in: ['one-app'] },
      { q: 'centralAuth', is: false },
    ],
    effects: { 'multi-server': 2 },
    conclusion: 'the one client can aggregate the servers itself',
  },
  {
    id: 'central-policy',
    when: [
      { q: 'centralAuth', is: true },
      { q: 'domains', gte: 2 },
    ],
    effects: { gateway: 5, 'multi-server': -2 },
    conclusion: 'one place for auth, rate limits and audit',
  },
  {
    id: 'central-policy-one-backend',
    when: [
      { q: 'centralAuth', is: true },
      { q: 'domains', lte: 1 },
    ],
    effects: { single: 1 },
    conclusion: 'the server itself enforces auth and rate limits',
  },
  {
    id: 'many-consumers',
    when: [
      { q: 'consumers', in: ['teams', 'public'] },
      { q: 'domains', gte: 2 },
    ],
    effects: { gateway: 3, 'multi-server': -2 },
    conclusion: 'clients should not hold every backend credential',
  },
  {
    id: 'separate-owners',
    when: [{ q: 'separateTeams', is: true }],
    effects: { gateway: 3, 'multi-server': 1 },
    conclusion: 'independently deployed backends behind one entry point',
  },
  {
    id: 'high-load',
    when: [{ q: 'peakRps', gte: 200 }],
    effects: { 'load-balanced': 4, single: -3 },
    conclusion: 'more than one instance: replicas behind a load balancer',
  },
  {
    id: 'many-sessions',
    when: [{ q: 'concurrentSessions', gte: 1000 }],
    effects: { 'load-balanced': 3, single: -2 },
    conclusion: 'spread sessions over replicas with a shared store',
  },
  {
    id: 'no-single-point',
    when: [{ q: 'availability', in: ['99.9', '99.99'] }],
    effects: { 'load-balanced': 3, single: -3, 'multi-server': -1 },
    conclusion: 'no single point of failure: replicas',
  },
  {
    id: 'region-availability',
    when: [{ q: 'availability', in: ['99.99'] }],
    effects: { 'multi-region': 3 },
    conclusion: 'survive a region outage',
  },
  {
    id: 'global-users',
    when: [{ q: 'geography', in: ['multi-region'] }],
    effects: { 'multi-region': 6 },
    conclusion: 'serve each user from a nearby region',
  },
  {
    id: 'region-durable-sessions',
    when: [{ q: 'durability', in: ['survive-region-loss'] }],
    effects: { 'multi-region': 5, serverless: -2 },
    conclusion: 'a global session store across regions',
  },
  {
    id: 'bursty-traffic',
    when: [
      { q: 'traffic', in: ['spiky', 'rare'] },
      { q: 'serverToClient', is: false },
    ],
    effects: { serverless: 3 },
    conclusion: 'pay per invocation, scale to zero',
  },
  {
    id: 'steady-traffic',
    when: [{ q: 'traffic', in: ['steady'] }],
    effects: { serverless: -1 },
    conclusion: 'always-on instances cost less than invocations',
  },
  {
    id: 'function-platform',
    when: [{ q: 'platform', in: ['lambda', 'vercel'] }],
    effects: { serverless: 6 },
    conclusion: 'stateless functions on the platform',
  },
  {
    id: 'kubernetes-platform',
    when: [{ q: 'platform', in: ['kubernetes'] }],
    effects: { 'load-balanced': 3, single: -2, 'multi-server': -2, serverless: -3 },
    conclusion: 'a Deployment with probes, rolling updates and autoscaling: replicas come with the platform',
  },
  {
    id: 'server-to-client',
    when: [
      { q: 'serverToClient', is: true },
      { q: 'clients', in: ['mixed', 'legacy'] },
    ],
    effects: { serverless: -8 },
    conclusion: 'server-to-client requests to 2025-era clients need sessions and streams that functions cannot hold',
  },
  {
    id: 'server-to-client-modern',
    when: [
      { q: 'serverToClient', is: true },
      { q: 'clients', in: ['modern'] },
    ],
    effects: { serverless: -2 },
    conclusion:
      'input requests are input_required rounds any invocation can answer, but progress streams and subscriptions/listen need streams a function holds only while it runs',
  },
  {
    id: 'restart-durable-sessions',
    when: [
      { q: 'durability', in: ['survive-restarts'] },
      { q: 'serverToClient', is: true },
    ],
    effects: { serverless: -1 },
    conclusion: 'a persistent session store',
  },
];

/**
 * What each platform answer means for deployment: the deploy target a pattern must generate to
 * run there, the targets that come with it where the pattern supports them, and whether it is one
 * machine (one failure domain, one region).
 */
export interface PlatformFacts {
  /** The target a pattern must generate to run there. */
  target: DeployTarget;
  /** Targets included along with it where the pattern generates them. */
  with: readonly DeployTarget[];
  oneMachine: boolean;
}

export const PLATFORM_FACTS: Record<Platform, PlatformFacts> = {
  kubernetes: { target: 'k8s', with: ['docker'], oneMachine: false },
  containers: { target: 'docker', with: ['compose'], oneMachine: false },
  local: { target: 'docker', with: [], oneMachine: true },
  lambda: { target: 'lambda', with: [], oneMachine: false },
  vercel: { target: 'vercel', with: [], oneMachine: false },
};

/**
 * How much a store keeps: 0 lost on restart, 1 survives a restart of the server (Redis only with
 * AOF persistence), 2 durable in a database (survives losing Redis too; a global database survives
 * a region).
 */
export const STORE_DURABILITY: Record<StoreId, 0 | 1 | 2> = { memory: 0, redis: 1, hybrid: 2, database: 2 };

/** The store level each durability answer needs. */
export const DURABILITY_NEEDS: Record<Durability, 0 | 1 | 2> = {
  'may-lose': 0,
  'survive-restarts': 1,
  'survive-region-loss': 2,
};

/**
 * The stores to try, best first, for what the sessions must survive and whether instances share
 * them. The first one the pattern supports is chosen; a durable need never prefers memory.
 */
export const STORE_PREFERENCE: Record<Durability, Record<'own' | 'shared', readonly StoreId[]>> = {
  'may-lose': { own: ['memory', 'database', 'redis', 'hybrid'], shared: ['redis', 'hybrid', 'database', 'memory'] },
  'survive-restarts': {
    own: ['database', 'hybrid', 'redis', 'memory'],
    shared: ['hybrid', 'database', 'redis', 'memory'],
  },
  'survive-region-loss': {
    own: ['database', 'hybrid', 'redis', 'memory'],
    shared: ['database', 'hybrid', 'redis', 'memory'],
  },
};

/** Answers that contradict each other, whatever the pattern: each names what to change. */
export interface ConflictRule {
  id: string;
  when: readonly Condition[];
  /** Cited after the answers: "<answers> -> <problem>". */
  problem: string;
  /** What would resolve it, with the flags to change. */
  change: string;
}

export const CONFLICT_RULES: readonly ConflictRule[] = [
  {
    id: 'availability-on-one-machine',
    when: [
      { q: 'platform', in: ['local'] },
      { q: 'availability', in: ['99.9', '99.99'] },
    ],
    problem: 'one machine is a single point of failure: its outages and restarts alone break that target',
    change:
      'answer --platform containers or --platform kubernetes to run replicas on several machines, or --availability 99 for a local deployment',
  },
  {
    id: 'regions-on-one-machine',
    when: [
      { q: 'platform', in: ['local'] },
      { q: 'geography', in: ['multi-region'] },
    ],
    problem: 'one machine sits in one region: distant users get its latency and lose it when it goes down',
    change:
      'answer --platform kubernetes or --platform containers to run in several regions, or --geography one-region',
  },
  {
    id: 'region-loss-one-region',
    when: [
      { q: 'durability', in: ['survive-region-loss'] },
      { q: 'geography', in: ['one-region'] },
    ],
    problem:
      'surviving the loss of a region means a second region that takes the sessions over, while users in one region are served from one',
    change:
      'answer --geography multi-region to run (at least) a standby region with a global session store, or --durability survive-restarts',
  },
  {
    id: 'server-to-client-on-functions',
    when: [
      { q: 'serverToClient', is: true },
      { q: 'clients', in: ['mixed', 'legacy'] },
      { q: 'platform', in: ['lambda', 'vercel'] },
    ],
    problem:
      'server-to-client requests to 2025-era clients need sessions and open streams that a function invocation cannot hold',
    change:
      'answer --platform containers or --platform kubernetes; or --clients modern (2026-era clients answer input requests as input_required rounds, which functions serve); or drop --server-to-client (--no-server-to-client)',
  },
];

export function holds(condition: Condition, answers: AdvisorAnswers): boolean {
  const value = answers[condition.q];
  if ('is' in condition) return value === condition.is;
  if ('in' in condition) return (condition.in as readonly unknown[]).includes(value);
  const n = value as number;
  return (condition.gte === undefined || n >= condition.gte) && (condition.lte === undefined || n <= condition.lte);
}

/** The questions a list of conditions reads, once each, in order. */
export function questionsOf(conditions: readonly Condition[]): QuestionId[] {
  return [...new Set(conditions.map((c) => c.q))];
}
