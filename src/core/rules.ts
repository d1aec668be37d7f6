import type { AdvisorAnswers } from './answers.js';
import type { PatternId } from './ids.js';

type IntegerQuestion = 'domains' | 'peakRps' | 'concurrentSessions';
type BooleanQuestion = 'centralAuth' | 'serverToClient' | 'separateTeams';
type ChoiceQuestion = Exclude<keyof AdvisorAnswers, IntegerQuestion | BooleanQuestion>;

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
 * The advisor's rules. Scores start at zero; the highest total wins and ties go to the simpler
 * pattern (catalog order). Weights: 4-6 decisive, 2-3 strong, 1 a nudge, negative rules out.
 */
export const RULES: readonly Rule[] = [
  { id: 'one-domain', when: [{ q: 'domains', lte: 1 }], effects: { single: 3 }, conclusion: 'a single server covers it' },
  { id: 'local-platform', when: [{ q: 'platform', in: ['local'] }], effects: { single: 3, 'multi-region': -6, serverless: -6 }, conclusion: 'one server on one machine' },
  { id: 'several-domains', when: [{ q: 'domains', gte: 2 }], effects: { 'multi-server': 3, gateway: 2, single: -2 }, conclusion: 'aggregate tools with namespacing' },
  { id: 'one-consumer-aggregates', when: [{ q: 'domains', gte: 2 }, { q: 'consumers', in: ['one-app'] }, { q: 'centralAuth', is: false }], effects: { 'multi-server': 2 }, conclusion: 'the one client can aggregate the servers itself' },
  { id: 'central-policy', when: [{ q: 'centralAuth', is: true }, { q: 'domains', gte: 2 }], effects: { gateway: 5, 'multi-server': -2 }, conclusion: 'gateway: one place for auth, rate limits and audit' },
  { id: 'central-policy-one-backend', when: [{ q: 'centralAuth', is: true }, { q: 'domains', lte: 1 }], effects: { single: 1 }, conclusion: 'the server itself enforces auth and rate limits' },
  { id: 'many-consumers', when: [{ q: 'consumers', in: ['teams', 'public'] }, { q: 'domains', gte: 2 }], effects: { gateway: 3, 'multi-server': -2 }, conclusion: 'gateway: clients should not hold every backend credential' },
  { id: 'separate-owners', when: [{ q: 'separateTeams', is: true }], effects: { gateway: 3, 'multi-server': 1 }, conclusion: 'independently deployed backends behind one entry point' },
  { id: 'high-load', when: [{ q: 'peakRps', gte: 200 }], effects: { 'load-balanced': 4, single: -3 }, conclusion: 'more than one instance: replicas behind a load balancer' },
  { id: 'many-sessions', when: [{ q: 'concurrentSessions', gte: 1000 }], effects: { 'load-balanced': 3, single: -2 }, conclusion: 'spread sessions over replicas with a shared store' },
  { id: 'no-single-point', when: [{ q: 'availability', in: ['99.9', '99.99'] }], effects: { 'load-balanced': 3, single: -3, 'multi-server': -1 }, conclusion: 'no single point of failure: replicas' },
  { id: 'region-availability', when: [{ q: 'availability', in: ['99.99'] }], effects: { 'multi-region': 3 }, conclusion: 'survive a region outage' },
  { id: 'global-users', when: [{ q: 'geography', in: ['multi-region'] }], effects: { 'multi-region': 6 }, conclusion: 'serve each user from a nearby region' },
  { id: 'region-durable-sessions', when: [{ q: 'durability', in: ['survive-region-loss'] }], effects: { 'multi-region': 5, serverless: -2 }, conclusion: 'a global session store across regions' },
  { id: 'bursty-traffic', when: [{ q: 'traffic', in: ['spiky', 'rare'] }, { q: 'serverToClient', is: false }], effects: { serverless: 3 }, conclusion: 'pay per invocation, scale to zero' },
  { id: 'steady-traffic', when: [{ q: 'traffic', in: ['steady'] }], effects: { serverless: -1 }, conclusion: 'always-on instances cost less than invocations' },
  { id: 'function-platform', when: [{ q: 'platform', in: ['lambda', 'vercel'] }], effects: { serverless: 6 }, conclusion: 'stateless functions on the platform' },
  { id: 'kubernetes-platform', when: [{ q: 'platform', in: ['kubernetes'] }], effects: { 'load-balanced': 1, serverless: -3 }, conclusion: 'Deployments with probes and autoscaling' },
  { id: 'server-to-client', when: [{ q: 'serverToClient', is: true }], effects: { serverless: -8 }, conclusion: 'needs sessions and streams that functions cannot hold' },
  { id: 'restart-durable-sessions', when: [{ q: 'durability', in: ['survive-restarts'] }, { q: 'serverToClient', is: true }], effects: { serverless: -1 }, conclusion: 'a persistent session store' },
];

export function holds(condition: Condition, answers: AdvisorAnswers): boolean {
  const value = answers[condition.q];
  if ('is' in condition) return value === condition.is;
  if ('in' in condition) return (condition.in as readonly unknown[]).includes(value);
  const n = value as number;
  return (condition.gte === undefined || n >= condition.gte) && (condition.lte === undefined || n <= condition.lte);
}
