import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { CHECKLIST } from '../../../src/core/checklist.js';
import type { CheckResult } from '../../../src/verify/report.js';
import { verify } from '../../../src/verify/run.js';
import { makeProject, type Project, type ProjectOptions } from '../fixture.js';

/** A fresh project, removed after the test. */
export async function project(options: ProjectOptions = {}): Promise<Project> {
  const created = await makeProject(options);
  onTestFinished(() => created.cleanup());
  return created;
}

/** Runs verify on the project and returns the result of one check. */
export async function check(target: Project, id: string): Promise<CheckResult> {
  const item = CHECKLIST.find((candidate) => candidate.id === id);
  if (!item) throw new Error(`unknown check ${id}`);
  const report = await verify({ dir: target.dir, only: [item.category] });
  const result = report.results.find((entry) => entry.id === id);
  if (!result) throw new Error(`no result for ${id}`);
  return result;
}

/** Messages of a result's findings, for readable assertions. */
export function messages(result: CheckResult): string {
  return result.findings.map((finding) => finding.message).join('\n');
}

/**
 * Stops src/app.ts from using what it imports from a middleware module, keeping the import:
 * every other reference to those names is renamed, so the rest of the app is untouched.
 */
export async function unwire(target: Project, stem: string): Promise<void> {
  await target.edit('src/app.ts', (text) => {
    const names: string[] = [];
    const importPattern = new RegExp(
      `import\\s+(?:\\{([^}]*)\\}|\\*\\s+as\\s+(\\w+)|(\\w+))\\s+from\\s+['"]\\./middleware/${stem}(?:\\.js)?['"];?`,
    );
    const match = importPattern.exec(text);
    if (!match) throw new Error(`src/app.ts does not import ./middleware/${stem}.js`);
    if (match[1])
      for (const part of match[1].split(','))
        if (part.trim() && !part.trim().startsWith('type '))
          names.push(
            part
              .trim()
              .split(/\s+as\s+/)
              .pop() as string,
          );
    if (match[2]) names.push(match[2]);
    if (match[3]) names.push(match[3]);
    const [before, after] = [text.slice(0, match.index + match[0].length), text.slice(match.index + match[0].length)];
    let rest = after;
    for (const name of names) rest = rest.replace(new RegExp(`(?<![\\w$.])${name}(?![\\w$])`, 'g'), `unused_${name}`);
    return before + rest;
  });
}

/** A kustomize base for an app Deployment that passes every Kubernetes-related check. */
export function k8sBase(
  options: { replicas?: number; minReplicas?: number; minAvailable?: number } = {},
): Record<string, string> {
  const { replicas = 3, minReplicas = 2, minAvailable = 1 } = options;
  return {
    'k8s/base/kustomization.yaml': [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      '  - deployment.yaml',
      '  - service.yaml',
      '  - ingress.yaml',
      '  - hpa.yaml',
      '  - pdb.yaml',
      '  - networkpolicy.yaml',
      '',
    ].join('\n'),
    'k8s/base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: mcp-server
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: mcp-server }
  template:
    metadata:
      labels: { app: mcp-server }
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/path: /metrics
    spec:
      terminationGracePeriodSeconds: 30
      securityContext: { runAsNonRoot: true, runAsUser: 1000 }
      containers:
        - name: server
          image: ghcr.io/example/mcp-server:1.0.0
          ports: [{ containerPort: 3000 }]
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: [ALL] }
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { memory: 256Mi }
          livenessProbe:
            httpGet: { path: /health, port: 3000 }
          readinessProbe:
            httpGet: { path: /ready, port: 3000 }
`,
    'k8s/base/service.yaml':
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: mcp-server\nspec:\n  selector: { app: mcp-server }\n  ports: [{ port: 80, targetPort: 3000 }]\n',
    'k8s/base/ingress.yaml': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: mcp-server
spec:
  tls:
    - hosts: [mcp.example.com]
      secretName: mcp-server-tls
  rules:
    - host: mcp.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: { service: { name: mcp-server, port: { number: 80 } } }
`,
    'k8s/base/hpa.yaml': `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: mcp-server
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: mcp-server }
  minReplicas: ${minReplicas}
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } }
`,
    'k8s/base/networkpolicy.yaml': `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: mcp-server
spec:
  podSelector:
    matchLabels: { app: mcp-server }
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels: { kubernetes.io/metadata.name: ingress-nginx }
`,
    'k8s/base/pdb.yaml': `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: mcp-server
spec:
  minAvailable: ${minAvailable}
  selector:
    matchLabels: { app: mcp-server }
`,
  };
}

export async function writeAll(target: Project, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) await target.write(rel, text);
}

/** Applies a replacement to every file under `src/` it matches; throws when it matches none. */
export async function replaceInSources(target: Project, pattern: RegExp, replacement: string): Promise<string[]> {
  const changed: string[] = [];
  for (const file of await listFiles(target.dir, 'src')) {
    const text = await target.read(file);
    const next = text.replace(
      new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`),
      replacement,
    );
    if (next !== text) {
      await target.write(file, next);
      changed.push(file);
    }
  }
  if (changed.length === 0)
    throw new Error(`${pattern} matches nothing under src/: the fixture no longer matches the templates`);
  return changed;
}

async function listFiles(root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(root, child)));
    else out.push(child);
  }
  return out;
}
