import { describe, expect, it } from 'vitest';
import { judge, PROJECTS, REQUIREMENTS, requirementsFor } from '../../scripts/check-test-env.mjs';

const ids = (projects: string[]) => requirementsFor(projects).map((requirement) => requirement.id);
const allOk = Object.fromEntries(REQUIREMENTS.map((requirement) => [requirement.id, { ok: true }]));

describe('check-test-env: what each test project needs', () => {
  it('asks nothing of the unit project, and everything of a full run', () => {
    expect(ids(['unit'])).toEqual([]);
    expect(ids([])).toEqual(REQUIREMENTS.map((requirement) => requirement.id));
    expect(ids(['unit', 'live', 'e2e'])).toEqual(ids([]));
  });

  it('asks the services of e2e and the terminal and git identity of live', () => {
    expect(ids(['e2e'])).toEqual(['redis', 'postgres', 'nginx']);
    expect(ids(['live'])).toEqual(['tmux', 'git-identity']);
  });

  it('names the projects that exist when given one that does not', () => {
    expect(() => requirementsFor(['integration'])).toThrow(
      `unknown vitest project integration: use any of ${PROJECTS.join(', ')}`,
    );
  });
});

describe('check-test-env: judging probe results', () => {
  it('passes (exit 0) when every probe found what it needs', () => {
    const { exitCode, text } = judge(requirementsFor([]), allOk);
    expect(exitCode).toBe(0);
    expect(text).toBe('test environment: redis, postgres, nginx, tmux, git-identity ok');
  });

  it('names each missing service with what was seen and how to start or install it (exit 1)', () => {
    const { exitCode, text } = judge(requirementsFor([]), {
      ...allOk,
      redis: { ok: false, problem: 'down', detail: 'cannot connect (ECONNREFUSED)' },
      nginx: { ok: false, problem: 'missing', detail: 'not found' },
    });
    expect(exitCode).toBe(1);
    expect(text).toMatch(/nothing was run/);
    expect(text).toMatch(
      /Redis at redis:\/\/[^:]+:\d+: cannot connect \(ECONNREFUSED\)\n\s+fix: start it with `redis-server --daemonize yes`/,
    );
    expect(text).toMatch(/nginx .*: not found\n\s+fix: install it with `apt-get install nginx`/);
    expect(text).not.toMatch(/PostgreSQL|tmux|git identity/);
  });

  it('tells a missing database from a stopped server and from refused credentials', () => {
    const requirements = requirementsFor(['e2e']);
    const fixFor = (finding: { ok: boolean; problem: string; detail: string }) =>
      judge(requirements, { ...allOk, postgres: finding }).text;
    expect(fixFor({ ok: false, problem: 'no-database', detail: 'database "test" does not exist' })).toMatch(
      /fix: create the database: `su postgres -c "createdb \w+"`/,
    );
    expect(fixFor({ ok: false, problem: 'down', detail: 'cannot connect (ECONNREFUSED)' })).toMatch(
      /fix: start it with `pg_ctlcluster <version> main start` \(install it with `apt-get install postgresql`\)/,
    );
    expect(fixFor({ ok: false, problem: 'auth', detail: 'password authentication failed' })).toMatch(
      /fix: let loopback connect without a password/,
    );
  });

  it('asks for git itself before an identity when git is missing', () => {
    const { text } = judge(requirementsFor(['live']), {
      tmux: { ok: true },
      'git-identity': { ok: false, problem: 'no-git', detail: 'git is not on PATH' },
    });
    expect(text).toMatch(/git is not on PATH\n\s+fix: install git with `apt-get install git`, then set an identity/);
  });

  it('counts a requirement no probe reported on as missing, never as met', () => {
    const { exitCode, text } = judge(requirementsFor(['live']), { tmux: { ok: true } });
    expect(exitCode).toBe(1);
    expect(text).toMatch(/a git identity .*: not checked/);
  });
});
