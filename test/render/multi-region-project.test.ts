import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ProjectOptions } from '../../src/core/options.js';
import { validateK8sObject, validateKustomization } from './k8s-schema.js';
import { kustomizeBuild, type K8sObject } from './kustomize.js';
import { renderProject } from './rendered.js';

const generate = (options: Partial<ProjectOptions> = {}) =>
  renderProject({
    name: 'regions',
    pattern: 'multi-region',
    store: 'database',
    deploy: ['docker', 'k8s'],
    authMode: 'apikey',
    sessionMode: 'stateful',
    protocol: 'dual',
    ...options,
  });
const { blueprint, files, file } = generate();

const regions = (JSON.parse(file('regions.json')) as { regions: Array<{ name: string; url: string }> }).regions;
const overlayDirs = [
  ...new Set([...files.keys()].filter((p) => p.startsWith('deploy/k8s/overlays/')).map((p) => p.split('/')[3]!)),
];
const find = (objects: K8sObject[], kind: string) => {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} in the build`);
  return found as K8sObject & Record<string, any>;
};

describe('generated multi-region project', () => {
  it('carries the region client, its example CLI, its tests and the database store', () => {
    for (const path of [
      'src/client/region-client.ts',
      'src/client/regions.ts',
      'src/client/cli.ts',
      'test/multi-region.test.ts',
      'test/delay-proxy.ts',
      'src/store/database.ts',
      'src/rate-limit/database.ts',
    ]) {
      expect(files.has(path), path).toBe(true);
    }
    expect(blueprint.components).toEqual([
      'base',
      'multi-region',
      'store',
      'store-database',
      'rate-limit-database',
      'docker',
      'k8s',
      'k8s-regions',
    ]);
    expect(blueprint.scripts.client).toBe('tsx src/client/cli.ts');
    expect(blueprint.env.find((v) => v.name === 'REGION')).toMatchObject({ default: '' });
    expect(file('.env.example')).toMatch(/^REGION=$/m);
    expect(file('.env.example')).toMatch(/^DATABASE_URL=file:\.\/data\/sessions\.db$/m);
    expect(file('src/config.ts')).toMatch(/^ {2}REGION: /m);
  });

  it('owns REGION: a project of another pattern neither reads nor declares it', () => {
    const single = renderProject({
      name: 'one',
      pattern: 'single',
      store: 'memory',
      deploy: ['docker'],
      authMode: 'apikey',
      sessionMode: 'stateless',
      protocol: 'dual',
    });
    expect(single.blueprint.env.map((v) => v.name)).not.toContain('REGION');
    const code = [...single.files]
      .filter(([path]) => path.endsWith('.ts'))
      .map(([path, text]) => `${path}\n${text}`)
      .join('\n');
    expect(code).not.toMatch(/REGION|X-MCP-Region/);
    expect(file('src/http/instance.ts')).toMatch(/X-MCP-Region/);
  });

  it('has a regions.json whose credentials follow the auth mode', () => {
    expect(regions.map((r) => r.name)).toEqual(['us-east', 'eu-west', 'ap-southeast']);
    expect(JSON.parse(file('regions.json')).headers).toEqual({ Authorization: 'Bearer ${MCP_API_KEY}' });
    expect(JSON.parse(generate({ authMode: 'jwt' }).files.get('regions.json')!).headers).toEqual({
      Authorization: 'Bearer ${MCP_ACCESS_TOKEN}',
    });
    expect(JSON.parse(generate({ authMode: 'none' }).files.get('regions.json')!).headers).toBeUndefined();
  });

  it('has one kustomize overlay per region of regions.json, and none without --deploy k8s', () => {
    expect(overlayDirs.sort()).toEqual(regions.map((r) => r.name).sort());
    const withoutK8s = generate({ deploy: ['docker'] });
    expect([...withoutK8s.files.keys()].filter((p) => p.startsWith('deploy/k8s'))).toEqual([]);
    expect(withoutK8s.files.get('README.md')).not.toMatch(/overlays/);
  });

  it('README explains the client, failover, CockroachDB and the overlays', () => {
    const readme = file('README.md');
    expect(readme).toMatch(/## Multi-region/);
    expect(readme).toMatch(/regions\.json/);
    expect(readme).toMatch(/postgresql:\/\/.*:26257\/.*sslmode=verify-full/);
    expect(readme).toMatch(/REGIONAL BY ROW/);
    expect(readme).toMatch(/kubectl --context eu-west apply -k deploy\/k8s\/overlays\/eu-west/);
  });

  describe.each(regions.map((r) => r.name))('overlay %s, built', (region) => {
    const objects = kustomizeBuild(files, `deploy/k8s/overlays/${region}`);
    const base = kustomizeBuild(files, 'deploy/k8s/base');

    it('is a valid kustomization whose every object passes the Kubernetes schemas strictly', async () => {
      expect(
        validateKustomization(
          parse(file(`deploy/k8s/overlays/${region}/kustomization.yaml`)) as Record<string, unknown>,
        ),
      ).toEqual([]);
      expect(objects.map((o) => o.kind).sort()).toEqual(base.map((o) => o.kind).sort());
      for (const object of objects)
        expect(await validateK8sObject(object), `${object.kind} ${object.metadata.name}`).toEqual([]);
    });

    it('names the region in the ConfigMap (REGION) and labels every object and pod with it', () => {
      const config = find(objects, 'ConfigMap');
      expect(config.data.REGION).toBe(region);
      expect(config.data.ALLOWED_HOSTS.split(',')).toEqual(['mcp.example.com', `${region}.mcp.example.com`]);
      for (const object of objects) expect(object.metadata.labels?.region, `${object.kind} label`).toBe(region);
      const deployment = find(objects, 'Deployment');
      expect(deployment.spec.template.metadata.labels.region).toBe(region);
      // Selectors are immutable: the overlay must not change them.
      expect(deployment.spec.selector).toEqual(find(base, 'Deployment').spec.selector);
      // The pods read the ConfigMap the overlay patched.
      expect(deployment.spec.template.spec.containers[0].envFrom).toContainEqual({
        configMapRef: { name: config.metadata.name },
      });
    });

    it('serves the region host of regions.json over TLS next to the global host', () => {
      const ingress = find(objects, 'Ingress');
      const host = new URL(regions.find((r) => r.name === region)!.url).hostname;
      expect(ingress.spec.rules.map((r: { host: string }) => r.host)).toEqual(['mcp.example.com', host]);
      expect(ingress.spec.tls[0].hosts).toEqual(['mcp.example.com', host]);
      expect(ingress.spec.rules[1].http).toEqual(ingress.spec.rules[0].http);
    });
  });

  it('the build refuses what it does not support, and a patch whose target is missing', () => {
    const broken = new Map(files);
    broken.set(
      'deploy/k8s/overlays/eu-west/kustomization.yaml',
      file('deploy/k8s/overlays/eu-west/kustomization.yaml').replace('kind: ConfigMap', 'kind: ConfigMapp'),
    );
    expect(() => kustomizeBuild(broken, 'deploy/k8s/overlays/eu-west')).toThrow(/matches no resource/);
    broken.set(
      'deploy/k8s/overlays/eu-west/kustomization.yaml',
      `${file('deploy/k8s/overlays/eu-west/kustomization.yaml')}\nnamespace: x\n`,
    );
    expect(() => kustomizeBuild(broken, 'deploy/k8s/overlays/eu-west')).toThrow(/field namespace is not supported/);
    broken.set(
      'deploy/k8s/overlays/eu-west/kustomization.yaml',
      file('deploy/k8s/overlays/eu-west/kustomization.yaml').replace('/spec/tls/0/hosts/-', '/spec/tls/3/hosts/-'),
    );
    expect(() => kustomizeBuild(broken, 'deploy/k8s/overlays/eu-west')).toThrow(
      /patch path \/spec\/tls\/3\/hosts\/- does not exist/,
    );
  });

  it('schema validation catches a misspelled field in a built overlay', async () => {
    const deployment = find(kustomizeBuild(files, 'deploy/k8s/overlays/us-east'), 'Deployment');
    deployment.spec.template.spec.containers[0].readinesProbe =
      deployment.spec.template.spec.containers[0].readinessProbe;
    expect(await validateK8sObject(deployment)).toContainEqual(
      expect.objectContaining({ path: expect.stringMatching(/readinesProbe$/) }),
    );
  });
});
