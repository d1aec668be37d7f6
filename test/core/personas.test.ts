import { describe, expect, it } from 'vitest';
import type { AdvisorAnswers } from '../../src/core/answers.js';
import type { DeployTarget, PatternId, SessionMode, StoreId } from '../../src/core/ids.js';
import { recommend } from '../../src/core/recommend.js';

/**
 * The advisor judged as an experienced platform engineer would answer: each persona is a short
 * story, every answer spelled out, and the advice expected (pattern, store, the deploy targets that
 * must be there, session mode where it matters, and exactly the conflicts that must be named).
 */
interface Persona {
  story: string;
  answers: AdvisorAnswers;
  pattern: PatternId;
  /** One store, or the acceptable ones. */
  store: StoreId | StoreId[];
  deploy: DeployTarget[];
  sessionMode?: SessionMode;
  conflicts: string[];
  /** Add-ons that must be offered. */
  addOns?: string[];
}

const PERSONAS: Persona[] = [
  {
    story: '4 teams share tools behind central auth on Kubernetes at 99.9%; sessions must survive restarts',
    answers: { domains: 4, consumers: 'teams', centralAuth: true, peakRps: 100, concurrentSessions: 300, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99.9', platform: 'kubernetes', durability: 'survive-restarts', separateTeams: true },
    pattern: 'gateway', store: ['redis', 'hybrid', 'database'], deploy: ['k8s', 'docker'], sessionMode: 'stateful', conflicts: [],
    addOns: ['gateway-replicas', 'redis-persistence', 'shared-session-store'],
  },
  {
    story: 'a hobbyist runs one tool server on a laptop for their own agent',
    answers: { domains: 1, consumers: 'one-app', centralAuth: false, peakRps: 2, concurrentSessions: 1, traffic: 'rare', serverToClient: false, geography: 'one-region', availability: '99', platform: 'local', durability: 'may-lose', separateTeams: false },
    pattern: 'single', store: 'memory', deploy: ['docker'], sessionMode: 'stateless', conflicts: [],
  },
  {
    story: 'stateless lookup tools on AWS Lambda, spiky use from one product',
    answers: { domains: 1, consumers: 'one-app', centralAuth: false, peakRps: 40, concurrentSessions: 20, traffic: 'spiky', serverToClient: false, geography: 'one-region', availability: '99.9', platform: 'lambda', durability: 'may-lose', separateTeams: false },
    pattern: 'serverless', store: 'memory', deploy: ['lambda'], sessionMode: 'stateless', conflicts: [],
  },
  {
    story: 'tools that ask the user for confirmation (elicitation) on AWS Lambda',
    answers: { domains: 1, consumers: 'one-app', centralAuth: false, peakRps: 20, concurrentSessions: 20, traffic: 'spiky', serverToClient: true, geography: 'one-region', availability: '99', platform: 'lambda', durability: 'may-lose', separateTeams: false },
    pattern: 'serverless', store: 'memory', deploy: ['lambda'], conflicts: ['server-to-client-on-functions'],
  },
  {
    story: 'a public API over 5 tool domains with central auth, and the company only runs AWS Lambda',
    answers: { domains: 5, consumers: 'public', centralAuth: true, peakRps: 50, concurrentSessions: 200, traffic: 'spiky', serverToClient: false, geography: 'one-region', availability: '99.9', platform: 'lambda', durability: 'may-lose', separateTeams: true },
    pattern: 'serverless', store: 'memory', deploy: ['lambda'], conflicts: ['pattern-not-on-platform'],
  },
  {
    story: 'a global SaaS on Kubernetes: users on three continents, 99.99%, sessions must survive losing a region',
    answers: { domains: 3, consumers: 'public', centralAuth: true, peakRps: 2000, concurrentSessions: 20000, traffic: 'steady', serverToClient: true, geography: 'multi-region', availability: '99.99', platform: 'kubernetes', durability: 'survive-region-loss', separateTeams: false },
    pattern: 'multi-region', store: ['database', 'hybrid'], deploy: ['k8s', 'docker'], sessionMode: 'stateful', conflicts: [],
    addOns: ['gateway-per-region', 'regional-load-balancing'],
  },
  {
    story: 'one busy tool domain served to the public from Kubernetes',
    answers: { domains: 1, consumers: 'public', centralAuth: false, peakRps: 1500, concurrentSessions: 5000, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99.9', platform: 'kubernetes', durability: 'may-lose', separateTeams: false },
    pattern: 'load-balanced', store: 'redis', deploy: ['k8s', 'docker'], sessionMode: 'stateless', conflicts: [],
  },
  {
    story: 'three backends, each owned by a different team, used by several internal apps on containers',
    answers: { domains: 3, consumers: 'teams', centralAuth: false, peakRps: 50, concurrentSessions: 100, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99.9', platform: 'containers', durability: 'may-lose', separateTeams: true },
    pattern: 'gateway', store: 'redis', deploy: ['docker', 'compose'], conflicts: [],
  },
  {
    story: 'one desktop agent aggregating three local tool servers (files, git, notes)',
    answers: { domains: 3, consumers: 'one-app', centralAuth: false, peakRps: 5, concurrentSessions: 1, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99', platform: 'local', durability: 'may-lose', separateTeams: false },
    pattern: 'multi-server', store: 'memory', deploy: ['docker'], conflicts: [],
  },
  {
    story: 'contradictory: runs on one local machine, yet 99.99% for users on several continents',
    answers: { domains: 1, consumers: 'public', centralAuth: false, peakRps: 100, concurrentSessions: 100, traffic: 'steady', serverToClient: false, geography: 'multi-region', availability: '99.99', platform: 'local', durability: 'may-lose', separateTeams: false },
    pattern: 'single', store: 'memory', deploy: ['docker'], conflicts: ['availability-on-one-machine', 'regions-on-one-machine'],
  },
  {
    story: 'a side project on Vercel: rare, spiky calls from the public',
    answers: { domains: 1, consumers: 'public', centralAuth: false, peakRps: 30, concurrentSessions: 10, traffic: 'rare', serverToClient: false, geography: 'one-region', availability: '99', platform: 'vercel', durability: 'may-lose', separateTeams: false },
    pattern: 'serverless', store: 'memory', deploy: ['vercel'], sessionMode: 'stateless', conflicts: [],
  },
  {
    story: 'everything at its default: one domain, one app, modest steady load on containers',
    answers: { domains: 1, consumers: 'one-app', centralAuth: false, peakRps: 10, concurrentSessions: 10, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99', platform: 'containers', durability: 'may-lose', separateTeams: false },
    pattern: 'single', store: 'memory', deploy: ['docker'], conflicts: [],
  },
  {
    story: 'an internal assistant that samples the model and must keep sessions across restarts, on one VM',
    answers: { domains: 1, consumers: 'one-app', centralAuth: false, peakRps: 20, concurrentSessions: 50, traffic: 'steady', serverToClient: true, geography: 'one-region', availability: '99', platform: 'containers', durability: 'survive-restarts', separateTeams: false },
    pattern: 'single', store: 'database', deploy: ['docker'], sessionMode: 'stateful', conflicts: [],
  },
  {
    story: 'a busy assistant with progress streams on Kubernetes; sessions must survive rolling deploys',
    answers: { domains: 1, consumers: 'teams', centralAuth: false, peakRps: 600, concurrentSessions: 3000, traffic: 'steady', serverToClient: true, geography: 'one-region', availability: '99.9', platform: 'kubernetes', durability: 'survive-restarts', separateTeams: false },
    pattern: 'load-balanced', store: ['hybrid', 'database'], deploy: ['k8s', 'docker'], sessionMode: 'stateful', conflicts: [],
    addOns: ['shared-session-store'],
  },
  {
    story: 'a home-lab Kubernetes cluster running one small tool server',
    answers: { domains: 1, consumers: 'one-app', centralAuth: false, peakRps: 1, concurrentSessions: 2, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99', platform: 'kubernetes', durability: 'may-lose', separateTeams: false },
    pattern: 'load-balanced', store: 'redis', deploy: ['k8s', 'docker'], sessionMode: 'stateless', conflicts: [],
  },
  {
    story: 'two teams put two domains behind one authenticated entry point on containers, 99% is fine',
    answers: { domains: 2, consumers: 'teams', centralAuth: true, peakRps: 20, concurrentSessions: 40, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99', platform: 'containers', durability: 'may-lose', separateTeams: false },
    pattern: 'gateway', store: 'redis', deploy: ['docker', 'compose'], sessionMode: 'stateful', conflicts: [],
  },
  {
    story: 'users in the US and Europe, 99.99%, regional sessions on plain container hosts',
    answers: { domains: 1, consumers: 'public', centralAuth: false, peakRps: 500, concurrentSessions: 2000, traffic: 'steady', serverToClient: false, geography: 'multi-region', availability: '99.99', platform: 'containers', durability: 'survive-region-loss', separateTeams: false },
    pattern: 'multi-region', store: ['database', 'hybrid'], deploy: ['docker'], conflicts: [],
  },
  {
    story: 'sessions must survive a region loss, but every user is in one region',
    answers: { domains: 1, consumers: 'one-app', centralAuth: false, peakRps: 50, concurrentSessions: 100, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99.9', platform: 'containers', durability: 'survive-region-loss', separateTeams: false },
    pattern: 'multi-region', store: ['database', 'hybrid'], deploy: ['docker'], conflicts: ['region-loss-one-region'],
  },
  {
    story: '99.99% asked of a server on one local machine',
    answers: { domains: 1, consumers: 'one-app', centralAuth: false, peakRps: 10, concurrentSessions: 10, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99.99', platform: 'local', durability: 'may-lose', separateTeams: false },
    pattern: 'single', store: 'memory', deploy: ['docker'], conflicts: ['availability-on-one-machine'],
  },
  {
    story: 'several teams call one domain that enforces its own auth, on containers at 99.9%',
    answers: { domains: 1, consumers: 'teams', centralAuth: true, peakRps: 100, concurrentSessions: 200, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99.9', platform: 'containers', durability: 'may-lose', separateTeams: false },
    pattern: 'load-balanced', store: 'redis', deploy: ['docker', 'compose'], conflicts: [],
  },
  {
    story: 'a public tool at the edge on Vercel for users worldwide, rare calls',
    answers: { domains: 1, consumers: 'public', centralAuth: false, peakRps: 20, concurrentSessions: 10, traffic: 'rare', serverToClient: false, geography: 'multi-region', availability: '99.9', platform: 'vercel', durability: 'may-lose', separateTeams: false },
    pattern: 'serverless', store: 'memory', deploy: ['vercel'], conflicts: [],
  },
  {
    story: 'tools on Lambda whose sessions must survive restarts',
    answers: { domains: 1, consumers: 'one-app', centralAuth: false, peakRps: 10, concurrentSessions: 10, traffic: 'rare', serverToClient: false, geography: 'one-region', availability: '99', platform: 'lambda', durability: 'survive-restarts', separateTeams: false },
    pattern: 'serverless', store: 'memory', deploy: ['lambda'], conflicts: ['durability-unmet'], addOns: ['external-state'],
  },
  {
    story: 'a steady 3,000 req/s API that must run on Lambda',
    answers: { domains: 1, consumers: 'public', centralAuth: false, peakRps: 3000, concurrentSessions: 5000, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99.9', platform: 'lambda', durability: 'may-lose', separateTeams: false },
    pattern: 'serverless', store: 'memory', deploy: ['lambda'], conflicts: ['pattern-not-on-platform'],
  },
  {
    story: 'six partner teams expose their backends publicly through Kubernetes, 99.99% in one region',
    answers: { domains: 6, consumers: 'public', centralAuth: true, peakRps: 800, concurrentSessions: 4000, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99.99', platform: 'kubernetes', durability: 'may-lose', separateTeams: true },
    pattern: 'gateway', store: 'redis', deploy: ['k8s', 'docker'], conflicts: ['availability-unmet'],
  },
  {
    story: 'an internal agent platform: 8 domains, central audit, sampling, sessions survive restarts, on containers',
    answers: { domains: 8, consumers: 'teams', centralAuth: true, peakRps: 150, concurrentSessions: 500, traffic: 'steady', serverToClient: true, geography: 'one-region', availability: '99.9', platform: 'containers', durability: 'survive-restarts', separateTeams: true },
    pattern: 'gateway', store: ['redis', 'hybrid', 'database'], deploy: ['docker', 'compose'], sessionMode: 'stateful', conflicts: [],
    addOns: ['redis-persistence'],
  },
  {
    story: 'three domains for one agent on Kubernetes: the aggregation moves into a gateway, since the client-side pattern ships no manifests',
    answers: { domains: 3, consumers: 'one-app', centralAuth: false, peakRps: 30, concurrentSessions: 30, traffic: 'steady', serverToClient: false, geography: 'one-region', availability: '99', platform: 'kubernetes', durability: 'may-lose', separateTeams: false },
    pattern: 'gateway', store: 'redis', deploy: ['k8s', 'docker'], conflicts: ['pattern-not-on-platform'],
  },
];

describe('the advisor, judged by personas', () => {
  it('has at least 20 personas', () => expect(PERSONAS.length).toBeGreaterThanOrEqual(20));

  for (const persona of PERSONAS) {
    it(persona.story, () => {
      const rec = recommend(persona.answers);
      const stores = Array.isArray(persona.store) ? persona.store : [persona.store];
      expect({
        pattern: rec.pattern,
        storeFits: stores.includes(rec.store),
        deploy: persona.deploy.filter((t) => rec.deploy.includes(t)),
        conflicts: rec.conflicts.map((c) => c.id).sort(),
      }).toEqual({ pattern: persona.pattern, storeFits: true, deploy: persona.deploy, conflicts: [...persona.conflicts].sort() });
      if (persona.sessionMode) expect(rec.sessionMode).toBe(persona.sessionMode);
      for (const addOn of persona.addOns ?? []) expect(rec.addOns.map((a) => a.id)).toContain(addOn);
      // Every conflict says what disagrees and how to fix it, naming a flag.
      for (const conflict of rec.conflicts) expect(conflict.change).toMatch(/--[a-z-]+/);
    });
  }
});
