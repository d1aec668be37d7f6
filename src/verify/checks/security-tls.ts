import {
  checklistItem,
  conclude,
  notApplicable,
  type Check,
  type CheckOutcome,
  type Finding,
  type LiveContext,
} from '../check.js';
import { hasK8s, k8sObjects, networkPolicyFindings, resourcesOf } from '../readers/k8s.js';
import { dig, isRecord } from '../readers/records.js';
import { reachability } from '../runtime/context.js';
import { isLoopback, UnreachableError } from '../runtime/http.js';

export const securityTls: Check = {
  item: checklistItem('security.tls'),
  live: probeTls,
  async static(ctx) {
    const objects = await k8sObjects(ctx);
    if (hasK8s(objects)) {
      const failures: Finding[] = [];
      const warnings: Finding[] = [];
      const ingresses = resourcesOf(objects, 'Ingress');
      for (const ingress of ingresses) {
        const tls = dig(ingress.body, 'spec', 'tls');
        const remediation = `Add spec.tls to Ingress ${ingress.name} in ${ingress.file}: the hosts it serves and a secretName holding the certificate (e.g. from cert-manager).`;
        if (!Array.isArray(tls) || tls.length === 0) {
          failures.push({
            message: `Ingress ${ingress.name} has no tls section: MCP traffic and credentials cross the network in clear text`,
            file: ingress.file,
            line: ingress.line,
            remediation,
          });
          continue;
        }
        const covered = new Set(
          tls.flatMap((entry) => (Array.isArray(dig(entry, 'hosts')) ? (dig(entry, 'hosts') as unknown[]) : [])),
        );
        const rules = dig(ingress.body, 'spec', 'rules');
        for (const rule of Array.isArray(rules) ? rules : []) {
          const host = isRecord(rule) ? rule.host : undefined;
          if (typeof host === 'string' && !covered.has(host)) {
            failures.push({
              message: `Ingress ${ingress.name} serves ${host} without TLS`,
              file: ingress.file,
              line: ingress.line,
              remediation,
            });
          }
        }
        if (tls.some((entry) => !dig(entry, 'secretName'))) {
          warnings.push({
            message: `Ingress ${ingress.name}: a tls entry has no secretName (the controller's default certificate is used)`,
            file: ingress.file,
            line: ingress.line,
            remediation,
          });
        }
      }
      // The Ingress terminates TLS only for traffic that goes through it.
      if (ingresses.length > 0) warnings.push(...networkPolicyFindings(objects));
      for (const service of resourcesOf(objects, 'Service')) {
        const type = dig(service.body, 'spec', 'type');
        if (type === 'LoadBalancer' || type === 'NodePort') {
          failures.push({
            message: `Service ${service.name} is exposed as ${String(type)}, bypassing the TLS-terminating Ingress`,
            file: service.file,
            line: service.line,
            remediation: `Make Service ${service.name} ClusterIP in ${service.file} and expose it through the Ingress with tls.`,
          });
        }
      }
      if (ingresses.length === 0 && failures.length === 0) {
        return notApplicable(
          'The Kubernetes manifests expose the server only inside the cluster (no Ingress): TLS is terminated by whatever exposes it; prove it with --live --url https://...',
        );
      }
      return conclude(`Every Ingress terminates TLS for all of its hosts`, { failures, warnings });
    }

    const template = await ctx.readFile('template.yaml');
    if (template !== undefined && /Type:\s*HttpApi\b|FunctionUrlConfig|Type:\s*Api\b/.test(template)) {
      return conclude('Served through API Gateway / Lambda function URLs, which accept HTTPS only', { failures: [] });
    }
    if (ctx.manifest.deploy.includes('vercel') && (await ctx.exists('vercel.json'))) {
      return conclude('Served by Vercel, which terminates TLS and redirects HTTP to HTTPS', { failures: [] });
    }
    return notApplicable(
      'The project ships no ingress or platform endpoint, so TLS cannot be proven from its files: it listens on plain HTTP for local use. Terminate TLS in the proxy or platform that exposes it, then run verify --live --url https://<host>',
    );
  },
};

/**
 * HTTPS passes only when a request really completed over TLS (a certificate Node trusts).
 * Plain HTTP on loopback never leaves the machine, so TLS does not apply there; plain HTTP
 * anywhere else carries credentials in clear text.
 */
export async function probeTls(ctx: LiveContext): Promise<CheckOutcome> {
  const url = new URL(ctx.url);
  const reach = await reachability(ctx);
  if (!reach.ok && !(url.protocol === 'https:' && reach.tls)) throw new UnreachableError(ctx.url, reach.reason);
  if (url.protocol === 'https:') {
    if (!reach.ok) {
      return conclude('', {
        failures: [
          {
            message: `The TLS handshake with ${url.host} failed: ${reach.reason}`,
            remediation:
              "Serve a certificate clients trust for this host name (e.g. from cert-manager / Let's Encrypt), with its full chain.",
          },
        ],
      });
    }
    return conclude(`${url.host} answered over HTTPS with a trusted certificate`, { failures: [] });
  }
  if (isLoopback(url.hostname)) {
    return notApplicable(
      `Plain HTTP on loopback (${url.host}): nothing leaves the machine. Run verify --url https://<public host> against the deployment to prove TLS`,
    );
  }
  return conclude('', {
    failures: [
      {
        message: `${url.host} is served over plain HTTP: MCP traffic and credentials cross the network in clear text`,
        remediation:
          'Terminate TLS in front of the server (ingress, load balancer or platform) and redirect HTTP to HTTPS.',
      },
    ],
  });
}
