import { describe, expect, it } from 'vitest';
import { formatReport, verify } from '../../src/verify/index.js';
import { check, k8sBase, messages, project, writeAll } from './checks/helpers.js';

/** A SAM template that satisfies every rule; tests break it one setting at a time. */
const SAM = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  ApiKeys:
    Type: String
    NoEcho: true
Globals:
  Function:
    Runtime: nodejs22.x
    MemorySize: 512
    Timeout: 35
Resources:
  McpFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: dist/lambda.handler
      ReservedConcurrentExecutions: 50
      LoggingConfig:
        LogFormat: JSON
        LogGroup: !Ref McpLogGroup
      Environment:
        Variables:
          AUTH_MODE: apikey
          API_KEYS: !Ref ApiKeys
          REQUEST_TIMEOUT_MS: "30000"
      Events:
        Mcp:
          Type: HttpApi
          Properties:
            ApiId: !Ref McpApi
  McpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefaultRouteSettings:
        ThrottlingBurstLimit: 100
        ThrottlingRateLimit: 50
  McpLogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/\${AWS::StackName}-mcp
      RetentionInDays: 30
`;

async function serverless(template = SAM) {
  const target = await project({ pattern: 'serverless', deploy: ['lambda'] });
  await target.write('template.yaml', template);
  return target;
}

async function kubernetes(files: Record<string, string> = k8sBase()) {
  const target = await project({ pattern: 'load-balanced', deploy: ['docker', 'k8s'] });
  await writeAll(target, files);
  return target;
}

function replaceIn(
  files: Record<string, string>,
  file: string,
  from: string | RegExp,
  to: string,
): Record<string, string> {
  const before = files[file] as string;
  const after = before.replace(from, to);
  if (after === before) throw new Error(`replacement in ${file} changed nothing`);
  return { ...files, [file]: after };
}

describe('generated manifests', () => {
  it.each([
    ['load-balanced', ['docker', 'compose', 'k8s']],
    ['multi-region', ['docker', 'k8s']],
    ['serverless', ['lambda', 'vercel']],
  ] as const)('the generated %s project passes every manifest rule', async (pattern, deploy) => {
    const target = await project({ pattern, deploy: [...deploy] });
    const report = await verify({ dir: target.dir });
    const manifestFindings = report.results.flatMap((result) =>
      result.findings
        .filter((finding) => /^(?:deploy\/|template\.yaml|vercel\.json|compose\.yaml)/.test(finding.file ?? ''))
        .map((finding) => `${result.id}: ${finding.message}`),
    );
    expect(manifestFindings).toEqual([]);
    expect(report.results.filter((result) => result.status === 'fail').map((result) => result.id)).toEqual([]);
  });
});

describe('Kubernetes manifests', () => {
  it('pass with pinned images, an unprivileged security context and a NetworkPolicy', async () => {
    const target = await kubernetes();
    for (const id of ['pre-deployment.architecture-pattern', 'security.tls']) {
      const result = await check(target, id);
      expect(result.status, `${id}: ${messages(result)}`).toBe('pass');
    }
  });

  it('fail an image on :latest or without a tag', async () => {
    const latest = await kubernetes(
      replaceIn(k8sBase(), 'k8s/base/deployment.yaml', 'mcp-server:1.0.0', 'mcp-server:latest'),
    );
    const result = await check(latest, 'pre-deployment.architecture-pattern');
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(/container server runs ghcr\.io\/example\/mcp-server:latest/);
    const untagged = await kubernetes(
      replaceIn(k8sBase(), 'k8s/base/deployment.yaml', 'mcp-server:1.0.0', 'mcp-server'),
    );
    expect(messages(await check(untagged, 'pre-deployment.architecture-pattern'))).toMatch(/\(no tag: latest\)/);
  });

  it('fail a container that may run as root or escalate privileges; warn on a writable root filesystem', async () => {
    let files = replaceIn(
      k8sBase(),
      'k8s/base/deployment.yaml',
      '      securityContext: { runAsNonRoot: true, runAsUser: 1000 }\n',
      '',
    );
    files = replaceIn(
      files,
      'k8s/base/deployment.yaml',
      'allowPrivilegeEscalation: false',
      'allowPrivilegeEscalation: true',
    );
    files = replaceIn(
      files,
      'k8s/base/deployment.yaml',
      'readOnlyRootFilesystem: true',
      'readOnlyRootFilesystem: false',
    );
    const result = await check(await kubernetes(files), 'pre-deployment.architecture-pattern');
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(/may run as root/);
    expect(messages(result)).toMatch(/allows privilege escalation/);
    expect(messages(result)).toMatch(/writable root filesystem/);
  });

  it('warn when no NetworkPolicy selects the app pods behind the Ingress', async () => {
    const files = replaceIn(
      k8sBase(),
      'k8s/base/networkpolicy.yaml',
      'matchLabels: { app: mcp-server }',
      'matchLabels: { app: something-else }',
    );
    const result = await check(await kubernetes(files), 'security.tls');
    expect(result.status).toBe('warn');
    expect(messages(result)).toMatch(/No NetworkPolicy restricts ingress to Deployment mcp-server/);
  });

  it('reads alerting rules from PrometheusRule objects and fails one that reads a metric the app does not emit', async () => {
    const rule = (expr: string) => `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: mcp-server
spec:
  groups:
    - name: mcp
      rules:
        - alert: McpErrors
          expr: ${expr}
          for: 5m
          labels: { severity: warning }
`;
    const good = await kubernetes({
      ...k8sBase(),
      'k8s/base/prometheusrule.yaml': rule('sum(rate(mcp_http_requests_total{status=~"5.."}[5m])) > 1'),
    });
    const passing = await check(good, 'observability.alerting-rules');
    expect(passing.status, messages(passing)).toBe('pass');
    expect(passing.summary).toMatch(/PrometheusRule objects/);
    const bad = await kubernetes({
      ...k8sBase(),
      'k8s/base/prometheusrule.yaml': rule('rate(http_requests_total[5m]) > 1'),
    });
    const failing = await check(bad, 'observability.alerting-rules');
    expect(failing.status).toBe('fail');
    expect(messages(failing)).toMatch(
      /PrometheusRule mcp-server: rule McpErrors reads http_requests_total, which the app does not emit/,
    );
  });

  it('give SARIF results with the manifest file and line for manifest findings', async () => {
    const target = await kubernetes(
      replaceIn(k8sBase(), 'k8s/base/deployment.yaml', 'mcp-server:1.0.0', 'mcp-server:latest'),
    );
    const report = await verify({ dir: target.dir, only: ['pre-deployment'] });
    const sarif = JSON.parse(formatReport(report, 'sarif')) as {
      runs: {
        results: {
          message: { text: string };
          locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[];
        }[];
      }[];
    };
    const latest = sarif.runs[0]?.results.find((entry) => entry.message.text.includes(':latest'));
    expect(latest?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('k8s/base/deployment.yaml');
    expect(latest?.locations[0]?.physicalLocation.region?.startLine).toBe(1);
  });
});

describe('SAM template', () => {
  it('passes a template with a current runtime, a Timeout above REQUEST_TIMEOUT_MS, no literal secrets, throttling and log retention', async () => {
    const target = await serverless();
    for (const id of [
      'pre-deployment.architecture-pattern',
      'pre-deployment.capacity-scaling',
      'security.authentication',
      'security.rate-limiting',
      'observability.structured-logging',
    ]) {
      const result = await check(target, id);
      expect(messages(result), id).not.toMatch(/template\.yaml|Function McpFunction/);
    }
  });

  it('fails a runtime older than nodejs22.x, with the file and line', async () => {
    const result = await check(
      await serverless(SAM.replace('nodejs22.x', 'nodejs20.x')),
      'pre-deployment.architecture-pattern',
    );
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(
      /Function McpFunction runs nodejs20\.x: the generated code needs nodejs22\.x or later/,
    );
    expect(result.findings.find((finding) => finding.message.includes('nodejs20.x'))).toMatchObject({
      file: 'template.yaml',
      line: 9,
    });
  });

  it('fails a Timeout not above REQUEST_TIMEOUT_MS', async () => {
    const result = await check(
      await serverless(SAM.replace('Timeout: 35', 'Timeout: 30')),
      'pre-deployment.capacity-scaling',
    );
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(/Timeout 30s, not above REQUEST_TIMEOUT_MS \(30000 ms\)/);
  });

  it('fails a literal secret in the function environment', async () => {
    const result = await check(
      await serverless(SAM.replace('API_KEYS: !Ref ApiKeys', 'API_KEYS: 0123456789abcdef0123456789abcdef')),
      'security.authentication',
    );
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(/sets API_KEYS to a literal value in template\.yaml/);
  });

  it('fails a template with neither API throttling nor reserved concurrency', async () => {
    const template = SAM.replace('      ReservedConcurrentExecutions: 50\n', '').replace(
      /      DefaultRouteSettings:\n(?:        .*\n)+/,
      '      StageName: prod\n',
    );
    const result = await check(await serverless(template), 'security.rate-limiting');
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(/sets no API throttling .* and no ReservedConcurrentExecutions/);
  });

  it('warns when no log group sets a retention', async () => {
    const result = await check(
      await serverless(SAM.replace('      RetentionInDays: 30\n', '')),
      'observability.structured-logging',
    );
    expect(result.status).toBe('warn');
    expect(messages(result)).toMatch(/no AWS::Logs::LogGroup with RetentionInDays/);
  });

  it('skips (never passes) a template that does not parse', async () => {
    const result = await check(await serverless(`${SAM}  Broken: [unclosed\n`), 'security.authentication');
    expect(result.status).toBe('skip');
    expect(result.summary).toMatch(/template\.yaml does not parse as YAML/);
  });
});
