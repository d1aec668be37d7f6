import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { ProjectOptions } from '../../src/core/options.js';
import { validateK8sObject, validateKustomization } from './k8s-schema.js';
import { kustomizeBuild } from './kustomize.js';
import { renderProject as rendered } from './rendered.js';

/**
 * The deployment artifacts of the load-balanced and gateway projects, as files: Kubernetes
 * manifests against the Kubernetes schemas (strictly) and production policies, the Compose file,
 * the nginx config. nginx itself checks the load-balanced config in test/e2e/load-balanced.test.ts
 * (`nginx -t`, then traffic); the gateway's one-replica variant in test/render/nginx-config.test.ts.
 */
type Obj = Record<string, unknown>;
const BASE = 'deploy/k8s/base';

function renderProject(options: Partial<ProjectOptions> = {}): Map<string, string> {
  const full: ProjectOptions = {
    name: 'lb-app',
    pattern: 'load-balanced',
    store: 'redis',
    deploy: ['docker', 'compose', 'k8s'],
    authMode: 'apikey',
    sessionMode: 'stateful',
    protocol: 'dual',
    ...options,
  };
  return rendered(full).files;
}

/** What `kubectl apply -k deploy/k8s/base` applies: the resources with the contributed patches, labels and images. */
function manifests(files: Map<string, string>): Obj[] {
  return kustomizeBuild(files, BASE) as Obj[];
}

/** The objects of one file of the base as written, before the kustomization patches them. */
function written(files: Map<string, string>, file: string): Obj[] {
  return parseAllDocuments(files.get(`${BASE}/${file}`)!).map((doc) => doc.toJS() as Obj);
}

const egressPorts = (objects: Obj[]) =>
  (dig(ofKind(objects, 'NetworkPolicy')[0], 'spec', 'egress') as Obj[])
    .flatMap((rule) => ((rule.ports as Obj[]) ?? []).map((p) => p.port))
    .sort((a, b) => Number(a) - Number(b));

const dig = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>(
    (current, key) =>
      current !== null && typeof current === 'object' ? (current as Record<string | number, unknown>)[key] : undefined,
    value,
  );
const ofKind = (objects: Obj[], kind: string) => objects.filter((object) => object.kind === kind);
const containers = (objects: Obj[]) =>
  ofKind(objects, 'Deployment').flatMap((d) => (dig(d, 'spec', 'template', 'spec', 'containers') as Obj[]) ?? []);

/** Names whose values are secrets: never in a ConfigMap, an env value or a committed file. */
const SECRET_NAMES = [
  'API_KEYS',
  'REDIS_URL',
  'DATABASE_URL',
  'JWT_SECRET',
  'POSTGRES_PASSWORD',
  'REMOTE_MCP_URL',
  'REMOTE_MCP_TOKEN',
];

/** Production policies, each a function returning what is wrong (empty when it holds). */
const POLICIES: Record<string, (objects: Obj[]) => string[]> = {
  probes: (objects) =>
    containers(objects).flatMap((c) => {
      const problems: string[] = [];
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
        if (!dig(c, probe, 'httpGet', 'path')) problems.push(`${String(c.name)}: no ${probe}`);
      if (dig(c, 'livenessProbe', 'httpGet', 'path') === dig(c, 'readinessProbe', 'httpGet', 'path'))
        problems.push('liveness and readiness probe the same path');
      if (dig(c, 'readinessProbe', 'httpGet', 'path') !== '/ready') problems.push('readiness does not probe /ready');
      return problems;
    }),
  resources: (objects) =>
    containers(objects).flatMap((c) =>
      [
        dig(c, 'resources', 'requests', 'cpu'),
        dig(c, 'resources', 'requests', 'memory'),
        dig(c, 'resources', 'limits', 'memory'),
      ].some((v) => v === undefined)
        ? [`${String(c.name)}: requests (cpu, memory) and a memory limit are required`]
        : [],
    ),
  'non-root read-only security context': (objects) => {
    const problems: string[] = [];
    for (const deployment of ofKind(objects, 'Deployment')) {
      const pod = dig(deployment, 'spec', 'template', 'spec', 'securityContext');
      if (dig(pod, 'runAsNonRoot') !== true) problems.push('pod: runAsNonRoot is not true');
      if (typeof dig(pod, 'runAsUser') !== 'number' || dig(pod, 'runAsUser') === 0)
        problems.push('pod: runAsUser must be a non-zero uid');
    }
    for (const c of containers(objects)) {
      if (dig(c, 'securityContext', 'readOnlyRootFilesystem') !== true)
        problems.push('container: root filesystem is writable');
      if (dig(c, 'securityContext', 'allowPrivilegeEscalation') !== false)
        problems.push('container: privilege escalation allowed');
      if (!(dig(c, 'securityContext', 'capabilities', 'drop') as string[] | undefined)?.includes('ALL'))
        problems.push('container: capabilities not dropped');
    }
    return problems;
  },
  'anti-affinity': (objects) =>
    ofKind(objects, 'Deployment').flatMap((d) => {
      const anti = dig(d, 'spec', 'template', 'spec', 'affinity', 'podAntiAffinity') as Obj | undefined;
      const terms = [
        ...((anti?.preferredDuringSchedulingIgnoredDuringExecution as Obj[]) ?? []).map(
          (t) => t.podAffinityTerm as Obj,
        ),
        ...((anti?.requiredDuringSchedulingIgnoredDuringExecution as Obj[]) ?? []),
      ];
      const podLabels = dig(d, 'spec', 'template', 'metadata', 'labels') as Record<string, string>;
      const selectsOwnPods = terms.some((t) =>
        Object.entries((dig(t, 'labelSelector', 'matchLabels') as Record<string, string>) ?? {}).every(
          ([k, v]) => podLabels[k] === v,
        ),
      );
      return terms.some((t) => t.topologyKey === 'kubernetes.io/hostname') && selectsOwnPods
        ? []
        : ['no pod anti-affinity across nodes for its own pods'];
    }),
  'rolling update': (objects) =>
    ofKind(objects, 'Deployment').flatMap((d) =>
      dig(d, 'spec', 'strategy', 'type') === 'RollingUpdate' &&
      dig(d, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable') === 0
        ? []
        : ['rolling update may drop capacity'],
    ),
  'PDB below replicas': (objects) => {
    const replicas = Math.min(
      ...ofKind(objects, 'Deployment').map((d) => dig(d, 'spec', 'replicas') as number),
      ...ofKind(objects, 'HorizontalPodAutoscaler').map((h) => dig(h, 'spec', 'minReplicas') as number),
    );
    const pdbs = ofKind(objects, 'PodDisruptionBudget');
    if (pdbs.length === 0) return ['no PodDisruptionBudget'];
    return pdbs.flatMap((p) =>
      typeof dig(p, 'spec', 'minAvailable') === 'number' && (dig(p, 'spec', 'minAvailable') as number) < replicas
        ? []
        : [`minAvailable must be a number below ${replicas}`],
    );
  },
  'HPA targets the Deployment': (objects) => {
    const names = ofKind(objects, 'Deployment').map((d) => dig(d, 'metadata', 'name'));
    const hpas = ofKind(objects, 'HorizontalPodAutoscaler');
    if (hpas.length === 0) return ['no HorizontalPodAutoscaler'];
    return hpas.flatMap((h) =>
      dig(h, 'spec', 'scaleTargetRef', 'kind') === 'Deployment' &&
      names.includes(dig(h, 'spec', 'scaleTargetRef', 'name'))
        ? []
        : ['HPA does not target the Deployment'],
    );
  },
  NetworkPolicy: (objects) => {
    const policies = ofKind(objects, 'NetworkPolicy');
    const podLabels = dig(ofKind(objects, 'Deployment')[0], 'spec', 'template', 'metadata', 'labels') as Record<
      string,
      string
    >;
    const fits = policies.filter((p) =>
      Object.entries((dig(p, 'spec', 'podSelector', 'matchLabels') as Record<string, string>) ?? {}).every(
        ([k, v]) => podLabels?.[k] === v,
      ),
    );
    const covered = fits.some((p) =>
      ['Ingress', 'Egress'].every((type) => (dig(p, 'spec', 'policyTypes') as string[] | undefined)?.includes(type)),
    );
    return covered ? [] : ['no NetworkPolicy restricting ingress and egress of the app pods'];
  },
  'Ingress TLS': (objects) =>
    ofKind(objects, 'Ingress').flatMap((i) => {
      const tlsHosts = ((dig(i, 'spec', 'tls') as Obj[]) ?? []).flatMap((t) => (t.hosts as string[]) ?? []);
      const ruleHosts = ((dig(i, 'spec', 'rules') as Obj[]) ?? []).map((r) => r.host as string);
      return ruleHosts.length > 0 && ruleHosts.every((host) => tlsHosts.includes(host))
        ? []
        : ['Ingress hosts without TLS'];
    }),
  'image tag not latest': (objects) =>
    containers(objects).flatMap((c) => {
      const image = String(c.image ?? '');
      const tag = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : '';
      return tag === '' || tag === 'latest' ? [`image ${image} has no fixed tag`] : [];
    }),
  'no secret data': (objects) => {
    const problems: string[] = [];
    for (const object of objects) if (object.kind === 'Secret') problems.push('a Secret is committed');
    for (const map of ofKind(objects, 'ConfigMap'))
      for (const key of Object.keys((map.data as Obj) ?? {}))
        if (SECRET_NAMES.includes(key)) problems.push(`ConfigMap holds ${key}`);
    for (const c of containers(objects))
      for (const env of (c.env as Obj[]) ?? [])
        if (SECRET_NAMES.includes(String(env.name)) && env.value !== undefined)
          problems.push(`env ${String(env.name)} has a value`);
    if (!containers(objects).some((c) => ((c.envFrom as Obj[]) ?? []).some((e) => dig(e, 'secretRef', 'name'))))
      problems.push('the Secret is not referenced');
    return problems;
  },
};

describe('Kubernetes base of the load-balanced project', () => {
  const variants: Array<Partial<ProjectOptions>> = [
    { store: 'redis', sessionMode: 'stateful', protocol: 'dual', authMode: 'apikey' },
    { store: 'hybrid', sessionMode: 'stateless', protocol: 'dual', authMode: 'jwt' },
    { store: 'database', sessionMode: 'stateless', protocol: 'dual', authMode: 'apikey' },
  ];

  it.each(variants)('validates strictly against the Kubernetes schemas (%o)', async (variant) => {
    const files = renderProject(variant);
    const kustomization = parse(files.get(`${BASE}/kustomization.yaml`)!) as Obj;
    expect(validateKustomization(kustomization)).toEqual([]);
    // The kustomization lists exactly the manifests that exist.
    const listed = [...(kustomization.resources as string[])].sort();
    const present = [...files.keys()]
      .filter((p) => p.startsWith(`${BASE}/`) && !p.endsWith('kustomization.yaml'))
      .map((p) => p.slice(BASE.length + 1))
      .sort();
    expect(listed).toEqual(present);
    expect(present).toEqual([
      'configmap.yaml',
      'deployment.yaml',
      'hpa.yaml',
      'ingress.yaml',
      'networkpolicy.yaml',
      'pdb.yaml',
      'service.yaml',
    ]);
    for (const object of manifests(files))
      expect({ kind: object.kind, problems: await validateK8sObject(object) }).toEqual({
        kind: object.kind,
        problems: [],
      });
  });

  it('fails validation for a misspelled field, an unknown field, a wrong type and a missing required field', async () => {
    const deployment = manifests(renderProject()).find((o) => o.kind === 'Deployment')!;
    const broken = structuredClone(deployment);
    const container = dig(broken, 'spec', 'template', 'spec', 'containers', 0) as Obj;
    container.readinesProbe = container.readinessProbe;
    delete container.readinessProbe;
    (broken.spec as Obj).replica = 3;
    (dig(container, 'ports', 0) as Obj).containerPort = 'http';
    delete (broken.spec as Obj).selector;
    const problems = await validateK8sObject(broken);
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'spec.template.spec.containers[0].readinesProbe',
        'spec.replica',
        'spec.template.spec.containers[0].ports[0].containerPort',
      ]),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'spec.selector', message: 'missing required field' },
        { path: 'spec.template.spec.containers[0].ports[0].containerPort', message: 'must be integer' },
        { path: 'spec.replica', message: 'unknown field (not in the Kubernetes schema)' },
      ]),
    );
    // Maps are not "unknown fields": labels and ConfigMap data keys are free-form.
    const configMap = manifests(renderProject()).find((o) => o.kind === 'ConfigMap')!;
    expect(await validateK8sObject({ ...configMap, data: { ...(configMap.data as Obj), ANY_NAME: 'x' } })).toEqual([]);
    expect(
      validateKustomization({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resource: ['a.yaml'],
      }),
    ).toEqual([{ path: 'resource', message: 'unknown kustomization field' }]);
  });

  it.each([
    ['redis', [6379], ['REDIS_URL']],
    ['database', [5432], ['DATABASE_URL']],
    ['hybrid', [5432, 6379], ['REDIS_URL', 'DATABASE_URL']],
  ] as const)(
    'with the %s store lets the pods reach DNS, HTTPS, OTLP and that store only, whose URL the Secret holds',
    (store, storePorts, secrets) => {
      const files = renderProject({ store });
      expect(egressPorts(manifests(files))).toEqual([53, 53, 443, 4318, ...storePorts]);
      expect(files.get(`${BASE}/deployment.yaml`)).toContain(
        `# ${['API_KEYS', ...secrets].join(', ')}: see README, Deploy.`,
      );
      // Nothing of the gateway: no servers file, no patch.
      expect(parse(files.get(`${BASE}/kustomization.yaml`)!)).not.toHaveProperty('patches');
    },
  );

  it.each(variants)('meets every production policy (%o)', (variant) => {
    const objects = manifests(renderProject(variant));
    for (const [name, policy] of Object.entries(POLICIES))
      expect({ policy: name, problems: policy(objects) }).toEqual({ policy: name, problems: [] });
  });

  /** One broken copy per policy: each policy catches what it is about. */
  const BREAKS: Record<keyof typeof POLICIES, (objects: Obj[]) => void> = {
    probes: (o) => delete (containers(o)[0] as Obj).readinessProbe,
    resources: (o) => delete (dig(containers(o)[0], 'resources') as Obj).requests,
    'non-root read-only security context': (o) =>
      ((dig(containers(o)[0], 'securityContext') as Obj).readOnlyRootFilesystem = false),
    'anti-affinity': (o) => delete (dig(ofKind(o, 'Deployment')[0], 'spec', 'template', 'spec') as Obj).affinity,
    'rolling update': (o) =>
      ((dig(ofKind(o, 'Deployment')[0], 'spec', 'strategy', 'rollingUpdate') as Obj).maxUnavailable = 1),
    'PDB below replicas': (o) => ((dig(ofKind(o, 'PodDisruptionBudget')[0], 'spec') as Obj).minAvailable = 3),
    'HPA targets the Deployment': (o) =>
      ((dig(ofKind(o, 'HorizontalPodAutoscaler')[0], 'spec', 'scaleTargetRef') as Obj).name = 'other'),
    NetworkPolicy: (o) => ((dig(ofKind(o, 'NetworkPolicy')[0], 'spec') as Obj).policyTypes = ['Ingress']),
    'Ingress TLS': (o) => delete (dig(ofKind(o, 'Ingress')[0], 'spec') as Obj).tls,
    'image tag not latest': (o) => ((containers(o)[0] as Obj).image = 'lb-app:latest'),
    'no secret data': (o) => ((ofKind(o, 'ConfigMap')[0]!.data as Obj).API_KEYS = 'k'),
  };

  it.each(Object.keys(POLICIES))('policy "%s" fails on a manifest that breaks it', (name) => {
    const objects = structuredClone(manifests(renderProject()));
    BREAKS[name]!(objects);
    expect(POLICIES[name]!(objects).length).toBeGreaterThan(0);
  });
});

/** Variables compose.yaml refuses to start without (`${VAR:?message}`; `$${` is an escaped `$`). */
const composeRequires = (compose: string) =>
  [...new Set([...compose.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*):\?/g)].map((m) => m[1]!))].sort();

/** Variables the README's Docker Compose section writes to .env before `docker compose up`. */
function readmeSets(readme: string): string[] {
  const section = readme.slice(readme.indexOf('## Docker Compose'));
  const block = /```sh\n([\s\S]*?)docker compose up --build\n```/.exec(section)?.[1] ?? '';
  const echoed = [...block.matchAll(/^echo "([A-Z_][A-Z0-9_]*)=\$\(openssl rand -hex \d+\)" >> \.env$/gm)].map(
    (m) => m[1]!,
  );
  const printed = [...block.matchAll(/^printf '([^']*)'/gm)].flatMap((m) =>
    [...m[1]!.matchAll(/([A-Z_][A-Z0-9_]*)=%s/g)].map((v) => v[1]!),
  );
  return [...echoed, ...printed].sort();
}

describe('README of a project deployed with Compose', () => {
  it.each([
    { pattern: 'load-balanced', store: 'database', authMode: 'apikey' },
    { pattern: 'load-balanced', store: 'hybrid', authMode: 'jwt' },
    { pattern: 'load-balanced', store: 'redis', authMode: 'none' },
    { pattern: 'gateway', store: 'memory', authMode: 'none' },
    { pattern: 'gateway', store: 'redis', authMode: 'apikey' },
  ] as const)('sets exactly what compose.yaml requires and says what it runs (%o)', (variant) => {
    const files = renderProject({ ...variant, deploy: ['docker', 'compose'] });
    const compose = files.get('compose.yaml')!;
    const readme = files.get('README.md')!;
    expect(readmeSets(readme)).toEqual(composeRequires(compose));
    expect(readme.includes('Compose refuses to start until')).toBe(composeRequires(compose).length > 0);
    const services = Object.keys((parse(compose) as { services: Obj }).services);
    const runs = /runs the whole system on one machine: ([^.]+)\./.exec(readme.replace(/\n/g, ' '))?.[1];
    expect(runs).toMatch(
      new RegExp(`${services.filter((s) => s.startsWith('app-')).length} (replicas|gateways)|gateway,`),
    );
    if (variant.store !== 'memory') expect(runs).toContain(variant.store === 'database' ? 'Postgres' : 'Redis');
  });

  it('a README that misses one of them is told apart', () => {
    const files = renderProject({ store: 'database', deploy: ['docker', 'compose'] });
    const readme = files.get('README.md')!.replace(/^echo "POSTGRES_PASSWORD=.*\n/m, '');
    expect(readmeSets(readme)).not.toEqual(composeRequires(files.get('compose.yaml')!));
  });
});

describe('Compose file and nginx config of the load-balanced project', () => {
  it.each([
    ['redis', ['redis']],
    ['database', ['postgres']],
    ['hybrid', ['redis', 'postgres']],
  ] as const)('runs the %s store, three replicas and nginx, all with healthchecks', (store, stores) => {
    const compose = parse(renderProject({ store }).get('compose.yaml')!) as {
      services: Record<string, Obj>;
      volumes?: Obj;
    };
    const names = Object.keys(compose.services).sort();
    expect(names).toEqual([...stores, 'app-1', 'app-2', 'app-3', 'nginx'].sort());
    for (const [name, service] of Object.entries(compose.services))
      expect(dig(service, 'healthcheck', 'test'), `${name} healthcheck`).toBeDefined();
    for (const app of ['app-1', 'app-2', 'app-3']) {
      const service = compose.services[app]!;
      expect(service.build).toBe('.');
      // The store is chosen when the project is generated: nothing to set.
      expect(dig(service, 'environment', 'SESSION_STORE')).toBeUndefined();
      for (const dependency of stores)
        expect(dig(service, 'depends_on', dependency, 'condition')).toBe('service_healthy');
      // Secrets come from the environment, required, never written here.
      expect(dig(service, 'environment', 'API_KEYS')).toMatch(/^\$\{API_KEYS:\?/);
    }
    for (const app of ['app-1', 'app-2', 'app-3'])
      expect(dig(compose.services.nginx, 'depends_on', app, 'condition')).toBe('service_healthy');
    expect(dig(compose.services.nginx, 'volumes', 0)).toBe('./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro');
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(stores.map((s) => `${s}-data`).sort());
  });

  it('balances over three replicas without cookies, streams SSE unbuffered and forwards the client address', () => {
    for (const sessionMode of ['stateless', 'stateful'] as const) {
      const conf = renderProject({ sessionMode }).get('deploy/nginx/nginx.conf')!;
      expect(conf.match(/^\s*server app-\d:3000\b/gm)).toHaveLength(3);
      expect(conf).not.toMatch(/^\s*(sticky|[^#\n]*\$cookie_)/m);
      expect(conf).toMatch(/^\s*proxy_buffering off;/m);
      expect(conf).toMatch(/^\s*client_max_body_size 1m;/m);
      expect(conf).toMatch(/^\s*proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/m);
      expect(conf).toMatch(/^\s*proxy_read_timeout \S+;/m);
      if (sessionMode === 'stateful') expect(conf).toMatch(/^\s*hash \$mcp_affinity consistent;/m);
      else expect(conf).toMatch(/^\s*least_conn;/m);
    }
  });
});

/** The generated gateway's own parser of servers files (the same code that reads them at start). */
interface ServersModule {
  parseServersConfig(
    json: unknown,
    source: string,
    env: Record<string, string | undefined>,
  ): {
    servers: {
      name: string;
      enabled: boolean;
      target: { transport: string; url?: URL; headers?: Record<string, string> };
    }[];
  };
}
const serversModule = async (): Promise<ServersModule> =>
  (await import(resolve('templates/aggregation/src/aggregate/config.ts'))) as ServersModule;
const gatewayProject = (options: Partial<ProjectOptions> = {}) =>
  renderProject({ name: 'edge', pattern: 'gateway', store: 'redis', ...options });
const BACKEND_ENV = { REMOTE_MCP_URL: 'http://backend.internal:4100/mcp', REMOTE_MCP_TOKEN: 'backend-token' };

describe('Kubernetes base of the gateway project', () => {
  const variants: Array<Partial<ProjectOptions>> = [
    { store: 'redis', sessionMode: 'stateful', protocol: 'dual', authMode: 'apikey' },
    { store: 'redis', sessionMode: 'stateless', protocol: 'dual', authMode: 'jwt' },
    { store: 'redis', sessionMode: 'stateful', protocol: 'dual', authMode: 'jwt' },
  ];

  it.each(variants)(
    'validates strictly against the Kubernetes schemas and meets every policy (%o)',
    async (variant) => {
      const files = gatewayProject(variant);
      const kustomization = parse(files.get(`${BASE}/kustomization.yaml`)!) as Obj;
      expect(validateKustomization(kustomization)).toEqual([]);
      const present = [...files.keys()]
        .filter((p) => p.startsWith(`${BASE}/`) && !p.endsWith('kustomization.yaml'))
        .map((p) => p.slice(BASE.length + 1))
        .sort();
      expect([...(kustomization.resources as string[])].sort()).toEqual(present);
      const objects = manifests(files);
      expect(objects.map((o) => `${String(o.kind)}/${String(dig(o, 'metadata', 'name'))}`).sort()).toEqual([
        'ConfigMap/edge-config',
        'ConfigMap/edge-servers',
        'Deployment/edge',
        'HorizontalPodAutoscaler/edge',
        'Ingress/edge',
        'NetworkPolicy/edge',
        'PodDisruptionBudget/edge',
        'Service/edge',
      ]);
      for (const object of objects)
        expect({ kind: object.kind, problems: await validateK8sObject(object) }).toEqual({
          kind: object.kind,
          problems: [],
        });
      for (const [name, policy] of Object.entries(POLICIES))
        expect({ policy: name, problems: policy(objects) }).toEqual({ policy: name, problems: [] });
      // JWT settings are not secret: the ConfigMap carries them (to be pointed at the real provider), the Secret only keys.
      const settings = ofKind(objects, 'ConfigMap').find((m) => dig(m, 'metadata', 'name') === 'edge-config')!;
      for (const name of ['JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE'])
        expect(dig(settings, 'data', name) !== undefined, name).toBe(variant.authMode === 'jwt');
    },
  );

  it("mounts the servers file read-only where GATEWAY_CONFIG points, and it parses with the gateway's own parser", async () => {
    const objects = manifests(gatewayProject());
    const settings = ofKind(objects, 'ConfigMap').find((m) => dig(m, 'metadata', 'name') === 'edge-config')!;
    const servers = ofKind(objects, 'ConfigMap').find((m) => dig(m, 'metadata', 'name') === 'edge-servers')!;
    const configPath = String(dig(settings, 'data', 'GATEWAY_CONFIG'));
    const [dir, fileName] = [
      configPath.slice(0, configPath.lastIndexOf('/')),
      configPath.slice(configPath.lastIndexOf('/') + 1),
    ];
    const pod = dig(ofKind(objects, 'Deployment')[0], 'spec', 'template', 'spec') as Obj;
    const mount = ((dig(containers(objects)[0], 'volumeMounts') as Obj[]) ?? []).find((m) => m.mountPath === dir);
    expect(mount, `a volume mounted at ${dir}`).toMatchObject({ readOnly: true });
    expect((pod.volumes as Obj[]).find((v) => v.name === mount!.name)).toEqual({
      name: mount!.name,
      configMap: { name: 'edge-servers' },
    });

    const text = String(dig(servers, 'data', fileName));
    const { parseServersConfig } = await serversModule();
    const parsed = parseServersConfig(JSON.parse(text), configPath, BACKEND_ENV);
    expect(parsed.servers.map((s) => [s.name, s.target.transport, s.enabled])).toEqual([
      ['local', 'stdio', true],
      ['remote', 'http', true],
    ]);
    expect(parsed.servers[1]!.target.headers).toEqual({ Authorization: 'Bearer backend-token' });
    // Credentials only by reference: without the Secret's variables the gateway refuses to start, naming them.
    expect(() => parseServersConfig(JSON.parse(text), configPath, {})).toThrow(/REMOTE_MCP_URL is not set/);
    // One source: Compose deploys the same servers file (with $ escaped for Compose).
    const compose = parse(gatewayProject({ deploy: ['docker', 'compose', 'k8s'] }).get('compose.yaml')!) as {
      configs: Record<string, { content: string }>;
    };
    expect(JSON.parse(compose.configs['gateway-servers']!.content.replaceAll('$$', '$'))).toEqual(JSON.parse(text));
    expect(text).not.toMatch(/Bearer [^$]/);
  });

  it('mounts the servers file through the patch it contributes: without the patch the Deployment has no such volume', () => {
    const files = gatewayProject();
    const volumes = (objects: Obj[]) =>
      (dig(ofKind(objects, 'Deployment')[0], 'spec', 'template', 'spec', 'volumes') as Obj[]).map((v) => v.name);
    expect(volumes(written(files, 'deployment.yaml'))).toEqual(['tmp']);
    expect(volumes(manifests(files))).toEqual(['tmp', 'servers']);
    const unpatched = new Map(files);
    const kustomization = parse(files.get(`${BASE}/kustomization.yaml`)!) as Obj;
    delete kustomization.patches;
    unpatched.set(`${BASE}/kustomization.yaml`, JSON.stringify(kustomization));
    expect(volumes(manifests(unpatched))).toEqual(['tmp']);
    // A Deployment the patch cannot apply to is an error, not a silently unmounted file.
    const renamed = new Map(files);
    renamed.set(
      `${BASE}/deployment.yaml`,
      files.get(`${BASE}/deployment.yaml`)!.replace(/^  name: edge$/m, '  name: other'),
    );
    expect(() => manifests(renamed)).toThrow(/matches no resource/);
  });

  it('lets the pods reach DNS, the backends over HTTP, OTLP and Redis, nothing else; readiness is /ready', () => {
    const objects = manifests(gatewayProject());
    expect(egressPorts(objects)).toEqual([53, 53, 80, 443, 4318, 6379]);
    expect(dig(containers(objects)[0], 'readinessProbe', 'httpGet', 'path')).toBe('/ready');
  });

  it('is not generated with the memory store: three replicas would not share sessions', () => {
    expect(() => gatewayProject({ store: 'memory' })).toThrow(/--deploy k8s runs three replicas.*Use --store redis/);
  });
});

describe('Compose file and nginx config of the gateway project', () => {
  it.each([
    ['redis', ['redis', 'backend', 'app-1', 'app-2', 'app-3', 'nginx']],
    ['memory', ['backend', 'app-1', 'nginx']],
  ] as const)(
    'with the %s store runs %j, all with healthchecks, the servers file mounted read-only',
    async (store, services) => {
      const compose = parse(gatewayProject({ store, deploy: ['docker', 'compose'] }).get('compose.yaml')!) as {
        services: Record<string, Obj>;
        configs: Record<string, { content: string }>;
        volumes?: Obj;
      };
      expect(Object.keys(compose.services).sort()).toEqual([...services].sort());
      for (const [name, service] of Object.entries(compose.services))
        expect(dig(service, 'healthcheck', 'test'), `${name} healthcheck`).toBeDefined();
      const replicas = services.filter((s) => s.startsWith('app-'));
      for (const app of replicas) {
        const service = compose.services[app]!;
        expect(service.build).toBe('.');
        expect(service.read_only).toBe(true);
        expect(dig(service, 'healthcheck', 'test', 3)).toMatch(/\/ready'/);
        const configPath = String(dig(service, 'environment', 'GATEWAY_CONFIG'));
        expect(service.configs).toEqual([{ source: 'gateway-servers', target: configPath }]);
        // The store is chosen when the project is generated: nothing to set.
        expect(dig(service, 'environment', 'SESSION_STORE')).toBeUndefined();
        expect(dig(service, 'environment', 'REDIS_URL')).toBe(store === 'redis' ? 'redis://redis:6379' : undefined);
        // The backend's credential and the client keys are required from .env, never written here.
        expect(dig(service, 'environment', 'REMOTE_MCP_TOKEN')).toMatch(/^\$\{REMOTE_MCP_TOKEN:\?/);
        expect(dig(service, 'environment', 'API_KEYS')).toMatch(/^\$\{API_KEYS:\?/);
        expect(dig(service, 'depends_on', 'backend', 'condition')).toBe('service_healthy');
        if (store === 'redis') expect(dig(service, 'depends_on', 'redis', 'condition')).toBe('service_healthy');
        expect(dig(compose.services.nginx, 'depends_on', app, 'condition')).toBe('service_healthy');
      }
      expect(dig(compose.services.backend, 'command')).toEqual(['node', 'examples/backends/http-backend.mjs']);
      expect(dig(compose.services.backend, 'environment', 'BACKEND_TOKEN')).toMatch(/^\$\{REMOTE_MCP_TOKEN:\?/);
      expect(Object.keys(compose.volumes ?? {})).toEqual(store === 'redis' ? ['redis-data'] : []);

      // Compose turns $$ into $: the gateway then reads ${VAR} from its own environment.
      const content = compose.configs['gateway-servers']!.content.replaceAll('$$', '$');
      const { parseServersConfig } = await serversModule();
      const env = {
        REMOTE_MCP_URL: String(dig(compose.services['app-1'], 'environment', 'REMOTE_MCP_URL')),
        REMOTE_MCP_TOKEN: 't',
      };
      const parsed = parseServersConfig(JSON.parse(content), 'gateway-servers', env);
      expect(parsed.servers.map((s) => [s.name, s.target.transport])).toEqual([
        ['local', 'stdio'],
        ['remote', 'http'],
      ]);
      expect(String(parsed.servers[1]!.target.url)).toBe(
        `http://backend:${String(dig(compose.services.backend, 'environment', 'PORT'))}/mcp`,
      );

      const conf = gatewayProject({ store, deploy: ['docker', 'compose'] }).get('deploy/nginx/nginx.conf')!;
      expect(conf.match(/^\s*server app-\d:3000\b/gm)).toHaveLength(replicas.length);
      expect(conf).not.toMatch(/^\s*(sticky|[^#\n]*\$cookie_)/m);
      expect(conf).toMatch(/^\s*proxy_buffering off;/m);
    },
  );
});
