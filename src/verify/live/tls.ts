import { conclude, notApplicable, type CheckOutcome, type LiveContext } from '../check.js';
import { reachability } from './context.js';
import { isLoopback, UnreachableError } from './http.js';

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
        failures: [{ message: `The TLS handshake with ${url.host} failed: ${reach.reason}`, remediation: 'Serve a certificate clients trust for this host name (e.g. from cert-manager / Let\'s Encrypt), with its full chain.' }],
      });
    }
    return conclude(`${url.host} answered over HTTPS with a trusted certificate`, { failures: [] });
  }
  if (isLoopback(url.hostname)) {
    return notApplicable(`Plain HTTP on loopback (${url.host}): nothing leaves the machine. Run verify --url https://<public host> against the deployment to prove TLS`);
  }
  return conclude('', {
    failures: [{ message: `${url.host} is served over plain HTTP: MCP traffic and credentials cross the network in clear text`, remediation: 'Terminate TLS in front of the server (ingress, load balancer or platform) and redirect HTTP to HTTPS.' }],
  });
}
