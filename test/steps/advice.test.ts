import { describe, expect, it } from 'vitest';
import type { AdvisorAnswers } from '../../src/core/answers.js';
import { runWizard } from '../../src/steps/index.js';
import { makeContext, scriptedPrompter } from './helpers.js';

const DRY = { install: false, git: false, pm: 'npm' as const, dryRun: true, json: false };

/** 4 teams, central auth, Kubernetes, 99.9%, sessions survive restarts: every answer given. */
const TEAMS_ON_K8S: AdvisorAnswers = {
  domains: 4,
  consumers: 'teams',
  centralAuth: true,
  peakRps: 100,
  concurrentSessions: 300,
  traffic: 'steady',
  serverToClient: false,
  clients: 'mixed',
  geography: 'one-region',
  availability: '99.9',
  platform: 'kubernetes',
  durability: 'survive-restarts',
  separateTeams: true,
};

describe('the recommendation carries into the project', () => {
  it('keeps Kubernetes and a durable store under --yes', async () => {
    const ctx = makeContext({ dir: 'app', yes: true, answers: { ...TEAMS_ON_K8S }, run: DRY });
    await runWizard(ctx);
    expect(ctx.project).toMatchObject({ pattern: 'gateway', store: 'redis', deploy: ['docker', 'k8s'] });
    expect(ctx.printed.join('\n')).toMatch(/Deploy: runs on Kubernetes -> docker, k8s/);
    expect(ctx.printed.join('\n')).toMatch(/appendonly yes/);
  });

  it('takes the deploy targets from the platform answered when every answer is given, without --yes', async () => {
    const ctx = makeContext({ dir: 'app', answers: { ...TEAMS_ON_K8S }, options: { authMode: 'apikey' }, run: DRY });
    await runWizard(ctx);
    expect(ctx.project).toMatchObject({ pattern: 'gateway', store: 'redis', deploy: ['docker', 'k8s'] });
  });

  it('pre-selects the platform in the prompt, then offers only stores that can serve it', async () => {
    const offered: { deploy?: [unknown, boolean | undefined][]; stores?: unknown[] } = {};
    const prompt = scriptedPrompter([
      [
        /Deployment targets/,
        (choices) => (
          (offered.deploy = choices.map((c) => [c.value, c.checked])),
          choices.filter((c) => c.checked).map((c) => c.value as string)
        ),
      ],
      [/Session store/, (choices) => ((offered.stores = choices.map((c) => c.value)), 'redis')],
      [/Session mode/, 'stateful'],
      [/Client authentication/, 'apikey'],
      [/Which pattern/, 'gateway'],
    ]);
    const ctx = makeContext({ dir: 'app', interactive: true, prompt, answers: { ...TEAMS_ON_K8S }, run: DRY });
    await runWizard(ctx);
    expect(offered.deploy).toEqual([
      ['docker', true],
      ['compose', false],
      ['k8s', true],
    ]);
    // The gateway's stores are memory and redis: with k8s chosen only redis is left, so the store is not asked.
    expect(offered.stores).toBeUndefined();
    expect(ctx.project).toMatchObject({ store: 'redis', deploy: ['docker', 'k8s'] });
  });

  it('says why k8s is not offered once --store memory is given', async () => {
    const prompt = scriptedPrompter([
      [/Deployment targets/, ['docker']],
      [/Which pattern/, 'gateway'],
    ]);
    const ctx = makeContext({
      dir: 'app',
      interactive: true,
      prompt,
      answers: { ...TEAMS_ON_K8S },
      options: { store: 'memory', sessionMode: 'stateful', authMode: 'apikey' },
      run: DRY,
    });
    await runWizard(ctx);
    expect(ctx.printed.join('\n')).toMatch(/k8s is not offered: .*--store memory.*Pass --store redis to deploy on k8s/);
  });

  it('takes the targets from --platform when --pattern skips the advisor', async () => {
    const ctx = makeContext({
      dir: 'app',
      yes: true,
      answers: { platform: 'containers' },
      options: { pattern: 'load-balanced' },
      run: DRY,
    });
    await runWizard(ctx);
    expect(ctx.project).toMatchObject({ pattern: 'load-balanced', deploy: ['docker', 'compose'] });
    const k8s = makeContext({
      dir: 'app',
      answers: { platform: 'kubernetes' },
      options: { pattern: 'gateway', sessionMode: 'stateful', authMode: 'apikey' },
      run: DRY,
    });
    await runWizard(k8s);
    expect(k8s.project).toMatchObject({ store: 'redis', deploy: ['docker', 'k8s'] });
  });

  it('says so when --pattern cannot deploy on --platform', async () => {
    const ctx = makeContext({
      dir: 'app',
      yes: true,
      answers: { platform: 'lambda' },
      options: { pattern: 'gateway' },
      run: DRY,
    });
    await runWizard(ctx);
    expect(ctx.printed.join('\n')).toMatch(
      /The gateway pattern cannot deploy on --platform lambda: its own targets \(docker, compose\) are the default instead/,
    );
    expect(ctx.project!.deploy).toEqual(['docker', 'compose']);
  });

  it('refuses --store memory with the Kubernetes targets the platform implies, naming both flags', async () => {
    const ctx = makeContext({
      dir: 'app',
      yes: true,
      answers: { ...TEAMS_ON_K8S },
      options: { store: 'memory' },
      run: DRY,
    });
    await expect(runWizard(ctx)).rejects.toThrow(/--deploy k8s .*--store memory.*--store redis/);
  });
});

describe('--yes', () => {
  it('asks nothing even in a terminal, and prints the answers it assumed', async () => {
    // The scripted prompter throws on any prompt it has no answer for.
    const ctx = makeContext({
      dir: 'app',
      yes: true,
      interactive: true,
      prompt: scriptedPrompter([]),
      answers: { domains: 2, platform: 'kubernetes' },
      run: DRY,
    });
    await runWizard(ctx);
    const printed = ctx.printed.join('\n');
    expect(printed).toMatch(
      /Assumed \(not answered\): one application connects, no central policy needed, peak 10 req\/s, 10 concurrent sessions, steady traffic/,
    );
    expect(printed).toMatch(/to answer them: --consumers, --central-auth, --peak-rps/);
    expect(printed).not.toMatch(/Assumed[^\n]*tool domains/);
    expect(ctx.recommendation!.assumed.map((a) => a.question)).not.toContain('platform');
  });

  it('lists the assumed answers in --json', async () => {
    const ctx = makeContext({ dir: 'app', yes: true, answers: { domains: 1 }, run: { ...DRY, json: true } });
    await runWizard(ctx);
    const result = JSON.parse(ctx.printed.join(''));
    expect(result.recommendation.assumed).toContainEqual({
      question: 'peakRps',
      flag: '--peak-rps',
      value: 10,
      text: 'peak 10 req/s',
    });
    expect(result.recommendation.assumed.map((a: { question: string }) => a.question)).not.toContain('domains');
  });

  it('assumes nothing when every answer was given', async () => {
    const ctx = makeContext({ dir: 'app', yes: true, answers: { ...TEAMS_ON_K8S }, run: DRY });
    await runWizard(ctx);
    expect(ctx.recommendation!.assumed).toEqual([]);
    expect(ctx.printed.join('\n')).not.toMatch(/Assumed/);
  });
});
