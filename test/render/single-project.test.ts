import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ProjectOptions } from '../../src/core/options.js';
import { generatedNode } from '../../src/core/versions.js';
import { renderProject } from './rendered.js';

/** The generated artifacts that are not run here (no Docker engine, no CI runner), checked as files. */
const options: ProjectOptions = {
  name: 'artifacts',
  pattern: 'single',
  store: 'memory',
  deploy: ['docker'],
  authMode: 'jwt',
  sessionMode: 'stateful',
  protocol: 'dual',
};
const { blueprint, file } = renderProject(options);

describe('generated single project artifacts', () => {
  it('has a multi-stage, non-root Dockerfile with a HEALTHCHECK and an exec-form CMD', () => {
    const dockerfile = file('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(new RegExp(`NODE_VERSION=${generatedNode.docker}\\b`));
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBeDefined();
    expect(users.at(-1)).not.toMatch(/^(root|0)$/);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toMatch(/^CMD \["node", ?"dist\/index\.js"\]/m);
    expect(file('.dockerignore')).toMatch(/node_modules/);
  });

  it('builds incrementally, keeping the build state in dist/ and out of the image', () => {
    const pkg = JSON.parse(file('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toBe('tsc -b tsconfig.build.json');
    const { compilerOptions } = JSON.parse(file('tsconfig.build.json')) as {
      compilerOptions: { outDir: string; incremental: boolean; tsBuildInfoFile: string };
    };
    expect(compilerOptions.incremental).toBe(true);
    // Removing dist/ removes the state with it, so the next build starts afresh.
    expect(compilerOptions.tsBuildInfoFile.startsWith(`${compilerOptions.outDir}/`)).toBe(true);
    expect(file('Dockerfile')).toContain(`rm ${compilerOptions.tsBuildInfoFile}`);
  });

  it('has a CI workflow that parses and tests on every supported Node line', () => {
    const workflow = parse(file('.github/workflows/ci.yml')) as {
      jobs: Record<string, { strategy?: { matrix?: { node?: string[] } }; steps: { run?: string }[] }>;
    };
    const test = Object.values(workflow.jobs).find((job) => job.strategy?.matrix?.node);
    expect(test?.strategy?.matrix?.node).toEqual([...generatedNode.ci]);
    expect(test!.steps.map((s) => s.run).filter(Boolean)).toEqual(
      expect.arrayContaining(['npm ci', 'npm run typecheck', 'npm test']),
    );
  });

  it("runs its suite with the base's limits and no variables of a component's", () => {
    const config = file('vitest.config.ts');
    expect(config).toMatch(/testTimeout: 15000,\n {4}hookTimeout: 15000,/);
    expect(config).not.toMatch(/\benv:/);
  });

  it('lists every environment variable in .env.example with the chosen modes and no secret values', () => {
    const env = file('.env.example');
    for (const variable of blueprint.env) expect(env).toMatch(new RegExp(`^${variable.name}=`, 'm'));
    expect(env).toMatch(/^AUTH_MODE=jwt$/m);
    expect(env).toMatch(/^SESSION_MODE=stateful$/m);
    for (const secret of blueprint.env.filter((v) => v.secret))
      expect(env).toMatch(new RegExp(`^${secret.name}=$`, 'm'));
  });

  it('has alerting rules that parse, and a README with the Mermaid diagram and the test command', () => {
    const rules = parse(file('monitoring/alerts.yml')) as { groups: { rules: { alert: string; expr: string }[] }[] };
    expect(rules.groups.flatMap((g) => g.rules).every((r) => r.alert && r.expr)).toBe(true);
    const readme = file('README.md');
    expect(readme).toMatch(/```mermaid\nflowchart LR[\s\S]*JWT[\s\S]*```/);
    expect(readme).toMatch(/npm test/);
    expect(file('CHECKLIST.md')).toMatch(/security\.origin-validation/);
  });
});
