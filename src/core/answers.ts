import { UserError } from './errors.js';

/**
 * The advisor's questions, as data. Each question is one flag, one prompt and one key of an
 * answers file; the CLI, the wizard and the docs are all driven from this list.
 */

export const CONSUMERS = ['one-app', 'teams', 'public'] as const;
export const TRAFFIC_SHAPES = ['steady', 'spiky', 'rare'] as const;
export const GEOGRAPHIES = ['one-region', 'multi-region'] as const;
export const AVAILABILITY = ['99', '99.9', '99.99'] as const;
export const PLATFORMS = ['kubernetes', 'lambda', 'vercel', 'containers', 'local'] as const;
export const DURABILITY = ['may-lose', 'survive-restarts', 'survive-region-loss'] as const;
/** Which MCP revisions the connecting clients speak: 2026-07-28, a mix, or 2025-era only. */
export const CLIENT_ERAS = ['modern', 'mixed', 'legacy'] as const;

export interface AdvisorAnswers {
  /** Number of tool domains / backends the system exposes. */
  domains: number;
  consumers: (typeof CONSUMERS)[number];
  /** Central authentication, rate limiting or audit across backends is required. */
  centralAuth: boolean;
  peakRps: number;
  concurrentSessions: number;
  traffic: (typeof TRAFFIC_SHAPES)[number];
  /** Tools need sampling, elicitation, progress streams or subscriptions. */
  serverToClient: boolean;
  /** Which protocol era the connecting clients speak. */
  clients: (typeof CLIENT_ERAS)[number];
  geography: (typeof GEOGRAPHIES)[number];
  availability: (typeof AVAILABILITY)[number];
  platform: (typeof PLATFORMS)[number];
  durability: (typeof DURABILITY)[number];
  /** Backends are owned by separate teams. */
  separateTeams: boolean;
}

export type QuestionId = keyof AdvisorAnswers;

interface QuestionBase<K extends QuestionId> {
  id: K;
  /** Long flag, without dashes. */
  flag: string;
  message: string;
  /** Used by `--yes` and offered first in prompts. */
  default: AdvisorAnswers[K];
  /** Short form for reasons: how an answer is cited. */
  cite: (value: AdvisorAnswers[K]) => string;
}

export type Question =
  | (QuestionBase<'domains' | 'peakRps' | 'concurrentSessions'> & { kind: 'integer'; min: number; max: number })
  | (QuestionBase<'centralAuth' | 'serverToClient' | 'separateTeams'> & { kind: 'boolean' })
  | (QuestionBase<
      Exclude<
        QuestionId,
        'domains' | 'peakRps' | 'concurrentSessions' | 'centralAuth' | 'serverToClient' | 'separateTeams'
      >
    > & {
      kind: 'choice';
      choices: readonly { value: string; label: string }[];
    });

const choice = <T extends string>(values: readonly T[], labels: Record<T, string>) =>
  values.map((value) => ({ value, label: labels[value] }));

export const QUESTIONS: readonly Question[] = [
  {
    id: 'domains',
    kind: 'integer',
    flag: 'domains',
    min: 1,
    max: 1000,
    default: 1,
    message: 'How many tool domains or backends will the system expose?',
    cite: (n) => (n === 1 ? 'one tool domain' : `${n} tool domains`),
  },
  {
    id: 'consumers',
    kind: 'choice',
    flag: 'consumers',
    default: 'one-app',
    message: 'Who connects to it?',
    choices: choice(CONSUMERS, { 'one-app': 'one application', teams: 'several teams or apps', public: 'the public' }),
    cite: (v) =>
      ({ 'one-app': 'one application connects', teams: 'several teams connect', public: 'public clients connect' })[
        v as (typeof CONSUMERS)[number]
      ],
  },
  {
    id: 'centralAuth',
    kind: 'boolean',
    flag: 'central-auth',
    default: false,
    message: 'Do you need central authentication, rate limiting or audit across backends?',
    cite: (v) => (v ? 'central auth/rate limiting/audit required' : 'no central policy needed'),
  },
  {
    id: 'peakRps',
    kind: 'integer',
    flag: 'peak-rps',
    min: 0,
    max: 10_000_000,
    default: 10,
    message: 'Peak load in requests per second?',
    cite: (n) => `peak ${n} req/s`,
  },
  {
    id: 'concurrentSessions',
    kind: 'integer',
    flag: 'sessions',
    min: 0,
    max: 100_000_000,
    default: 10,
    message: 'Peak concurrent client sessions?',
    cite: (n) => `${n} concurrent sessions`,
  },
  {
    id: 'traffic',
    kind: 'choice',
    flag: 'traffic',
    default: 'steady',
    message: 'What shape is the traffic?',
    choices: choice(TRAFFIC_SHAPES, {
      steady: 'steady',
      spiky: 'spiky (bursts, idle between)',
      rare: 'rare (occasional calls)',
    }),
    cite: (v) => `${v} traffic`,
  },
  {
    id: 'serverToClient',
    kind: 'boolean',
    flag: 'server-to-client',
    default: false,
    message: 'Do tools need server-to-client features (sampling, elicitation, progress streams, subscriptions)?',
    cite: (v) => (v ? 'tools need server-to-client requests' : 'no server-to-client requests'),
  },
  {
    id: 'clients',
    kind: 'choice',
    flag: 'clients',
    default: 'mixed',
    message: 'Which MCP clients connect?',
    choices: choice(CLIENT_ERAS, {
      modern: '2026-era clients only (MCP 2026-07-28)',
      mixed: 'a mix of 2026-era and 2025-era clients',
      legacy: '2025-era clients only (MCP 2025-11-25 and older)',
    }),
    cite: (v) =>
      ({
        modern: '2026-era clients only',
        mixed: '2026-era and 2025-era clients',
        legacy: '2025-era clients only',
      })[v as (typeof CLIENT_ERAS)[number]],
  },
  {
    id: 'geography',
    kind: 'choice',
    flag: 'geography',
    default: 'one-region',
    message: 'Where are your users?',
    choices: choice(GEOGRAPHIES, { 'one-region': 'mostly in one region', 'multi-region': 'spread across regions' }),
    cite: (v) => (v === 'multi-region' ? 'users spread across regions' : 'users in one region'),
  },
  {
    id: 'availability',
    kind: 'choice',
    flag: 'availability',
    default: '99',
    message: 'Availability target?',
    choices: choice(AVAILABILITY, {
      '99': '99% (hours of downtime a month are acceptable)',
      '99.9': '99.9% (no single point of failure)',
      '99.99': '99.99% (survive a region outage)',
    }),
    cite: (v) => `${v}% availability target`,
  },
  {
    id: 'platform',
    kind: 'choice',
    flag: 'platform',
    default: 'containers',
    message: 'Where will it run?',
    choices: choice(PLATFORMS, {
      kubernetes: 'Kubernetes',
      lambda: 'AWS Lambda',
      vercel: 'Vercel',
      containers: 'VMs or containers',
      local: 'locally / on one machine',
    }),
    cite: (v) =>
      `runs on ${{ kubernetes: 'Kubernetes', lambda: 'AWS Lambda', vercel: 'Vercel', containers: 'VMs/containers', local: 'one local machine' }[v as (typeof PLATFORMS)[number]]}`,
  },
  {
    id: 'durability',
    kind: 'choice',
    flag: 'durability',
    default: 'may-lose',
    message: 'How durable must sessions be?',
    choices: choice(DURABILITY, {
      'may-lose': 'may be lost (clients re-initialize)',
      'survive-restarts': 'must survive restarts',
      'survive-region-loss': 'must survive losing a region',
    }),
    cite: (v) =>
      ({
        'may-lose': 'sessions may be lost',
        'survive-restarts': 'sessions must survive restarts',
        'survive-region-loss': 'sessions must survive a region loss',
      })[v as (typeof DURABILITY)[number]],
  },
  {
    id: 'separateTeams',
    kind: 'boolean',
    flag: 'separate-teams',
    default: false,
    message: 'Are the backends owned by separate teams?',
    cite: (v) => (v ? 'backends owned by separate teams' : 'backends owned by one team'),
  },
];

export function questionFor(id: QuestionId): Question {
  const q = QUESTIONS.find((question) => question.id === id);
  if (!q) throw new Error(`unknown question ${id}`);
  return q;
}

export function defaultAnswers(): AdvisorAnswers {
  return Object.fromEntries(QUESTIONS.map((q) => [q.id, q.default])) as unknown as AdvisorAnswers;
}

/** How a value given for a question is cited in reasons, e.g. "4 tool domains". */
export function cite<K extends QuestionId>(id: K, value: AdvisorAnswers[K]): string {
  return (questionFor(id).cite as (v: AdvisorAnswers[K]) => string)(value);
}

/**
 * Parses one answer from a flag string or an answers-file value.
 * `source` names where it came from (e.g. `--peak-rps` or `answers.json: peakRps`) for the error.
 */
export function parseAnswer(question: Question, raw: unknown, source: string): AdvisorAnswers[QuestionId] {
  switch (question.kind) {
    case 'integer': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isInteger(n) || n < question.min || n > question.max) {
        throw new UserError(
          `${source}: expected a whole number from ${question.min} to ${question.max}, got ${JSON.stringify(raw)}.`,
        );
      }
      return n;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'yes') return true;
      if (raw === 'false' || raw === 'no') return false;
      throw new UserError(`${source}: expected true or false, got ${JSON.stringify(raw)}.`);
    }
    case 'choice': {
      const values = question.choices.map((c) => c.value);
      if (typeof raw === 'string' && values.includes(raw)) return raw as AdvisorAnswers[QuestionId];
      throw new UserError(`${source}: expected one of ${values.join(', ')}, got ${JSON.stringify(raw)}.`);
    }
  }
}
