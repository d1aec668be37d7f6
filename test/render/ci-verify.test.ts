import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { STORE_SERVICES } from '../../src/components/docs.js';
import type { ProjectOptions } from '../../src/core/options.js';
import { generatedNode } from '../../src/core/versions.js';
import { PATTERN_REGISTRY } from '../../src/patterns/index.js';
import { renderProject } from './rendered.js';

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, string>;
}
interface Job {
  permissions?: Record<string, string>;
  services?: Record<string, { image: string }>;
  env?: Record<string, string>;
  steps: Step[];
}

/** Every pattern with every store it offers: the workflow must stay valid YAML for each of them. */
const CASES = [...PATTERN_REGISTRY.values()].flatMap((definition) =>
  definition.stores.map((store) => ({
    pattern: definition.id as ProjectOptions['pattern'],
    store,
    deploy: [...definition.defaultDeploy],
  })),
);

describe('the verify job of the generated CI workflow', () => {
  it.each(CASES)('$pattern with $store: verify --live to SARIF, summary, code scanning', (options) => {
    const project = renderProject({
      name: 'ci',
      authMode: 'apikey',
      sessionMode: 'stateless',
      protocol: 'dual',
      ...options,
    });
    const workflow = parse(project.file('.github/workflows/ci.yml')) as { jobs: Record<string, Job> };
    const verify = workflow.jobs.verify as Job;
    expect(verify).toBeDefined();
    // Code scanning needs to write alerts; nothing else beyond reading the repository and the run.
    expect(verify.permissions).toEqual({ contents: 'read', 'security-events': 'write', actions: 'read' });

    const runs = verify.steps.map((step) => step.run).filter(Boolean);
    expect(runs).toContain('npm ci');
    // The project's own create-mcp-arch, started once: one live run writes both reports.
    const live = runs.filter((run) => run?.includes('verify -- --live'));
    expect(live).toEqual(['npm run --silent verify -- --live --report sarif=verify.sarif --report markdown=verify.md']);
    const summary = verify.steps.find((step) => step.run === 'cat verify.md >> "$GITHUB_STEP_SUMMARY"');
    expect(summary?.if).toContain('!cancelled()');
    expect(project.blueprint.scripts.verify).toBe('mcp-arch verify checklist');

    const node = verify.steps.find((step) => step.uses?.startsWith('actions/setup-node@'));
    expect(node?.with?.['node-version']).toBe(generatedNode.ci.at(-1));

    const upload = verify.steps.find((step) => step.uses?.startsWith('github/codeql-action/upload-sarif@'));
    // Pinned to a major version.
    expect(upload?.uses).toMatch(/^github\/codeql-action\/upload-sarif@v\d+$/);
    expect(upload?.with).toMatchObject({ sarif_file: 'verify.sarif' });
    // It uploads whatever verify found, also when verify failed the step, but not from a fork's pull request.
    expect(upload?.if).toContain('!cancelled()');
    expect(upload?.if).toContain("hashFiles('verify.sarif') != ''");
    expect(upload?.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(verify.steps.indexOf(upload as Step)).toBeGreaterThan(
      verify.steps.findIndex((step) => step.run?.includes('--report sarif=verify.sarif')),
    );

    // The store's services, as the test job gets them: verify --live starts the project against them.
    const services = STORE_SERVICES[options.store];
    expect(Object.keys(verify.services ?? {}).sort()).toEqual([...services].sort());
    const test = Object.values(workflow.jobs).find((job) => job.steps.some((step) => step.run === 'npm test'));
    expect(verify.services).toEqual(test?.services);
    expect(verify.env).toEqual(test?.env);
  });
});
