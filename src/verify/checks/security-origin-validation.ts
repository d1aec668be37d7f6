import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { configuredValues, ENV_EXAMPLE, envExample } from '../readers/env.js';
import { APP_FILE, findFirst, middlewareWiring, sources } from '../readers/source.js';
import { requireReachable } from '../runtime/context.js';
import { initializeBody, jsonRpcMessages } from '../runtime/http.js';
import { harmlessTool, LATEST_PROTOCOL_VERSION, postMcp, sampleArguments, withMcpSession } from '../runtime/mcp.js';
import { ERA_VERSION, servedEras, servedList } from '../runtime/eras.js';
import { toolInfo } from '../../core/tool-info.js';
import { authGate, behindAuthentication } from './security-authentication.js';

/** A site no deployment allows: a browser page there must not be able to drive the server. */
const FOREIGN_ORIGIN = 'https://evil.example';

export const securityOriginValidation: Check = {
  item: checklistItem('security.origin-validation'),
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const env = await envExample(ctx);
    const allowed = env?.get('ALLOWED_ORIGINS');
    if (!env || !allowed) {
      failures.push({
        message: `ALLOWED_ORIGINS is not listed in ${ENV_EXAMPLE}`,
        file: ENV_EXAMPLE,
        remediation: `Add ALLOWED_ORIGINS=<comma-separated origins of your clients> to ${ENV_EXAMPLE}.`,
      });
    } else if (allowed.value.split(',').some((origin) => origin.trim() === '*')) {
      failures.push({
        message: `ALLOWED_ORIGINS in ${ENV_EXAMPLE} allows any origin (*): any web page can drive the server (DNS rebinding)`,
        file: ENV_EXAMPLE,
        line: allowed.line,
        remediation: `List the exact origins of your clients in ALLOWED_ORIGINS in ${ENV_EXAMPLE}.`,
      });
    }
    for (const setting of await configuredValues(ctx, 'ALLOWED_ORIGINS')) {
      if (setting.value.split(',').some((origin) => origin.trim() === '*')) {
        failures.push({
          message: `ALLOWED_ORIGINS is * in ${setting.file}`,
          file: setting.file,
          line: setting.line,
          remediation: `List the exact client origins in ALLOWED_ORIGINS in ${setting.file}.`,
        });
      }
    }

    const code = await sources(ctx);
    const wildcardDefault = findFirst(code, /ALLOWED_ORIGINS[^\n;]*(?:\?\?|\|\||\.default\()\s*\[?\s*['"]\*['"]/);
    if (wildcardDefault) {
      failures.push({
        message: 'The code falls back to allowing any origin when ALLOWED_ORIGINS is unset',
        from: 'source-text',
        file: wildcardDefault.file,
        line: wildcardDefault.line,
        remediation: `Default ALLOWED_ORIGINS to an empty list (reject every Origin) in ${wildcardDefault.file}.`,
      });
    }

    const wiring = await middlewareWiring(ctx, /origin/i);
    if (!wiring.module) {
      failures.push({
        message: 'No Origin validation middleware in src/middleware/',
        from: 'source-text',
        file: 'src/middleware/origin.ts',
        remediation:
          'Add src/middleware/origin.ts: reject a request whose Origin header is present and not allowed with 403, and use it in src/app.ts.',
      });
    } else {
      if (!/\b403\b/.test(wiring.module.code)) {
        failures.push({
          message: `${wiring.module.file} never answers 403`,
          from: 'source-text',
          file: wiring.module.file,
          remediation: `Reject a present, disallowed Origin with 403 Forbidden in ${wiring.module.file}.`,
        });
      }
      if (!wiring.usedIn) {
        failures.push({
          message: `${wiring.module.file} is not used in ${APP_FILE}: Origin is never checked`,
          from: 'source-text',
          file: APP_FILE,
          remediation: `Import the origin middleware from ${wiring.module.file} and app.use() it before the /mcp route in ${APP_FILE}.`,
        });
      }
    }

    const host = await middlewareWiring(ctx, /host/i);
    if (!host.usedIn && !env?.has('ALLOWED_HOSTS')) {
      warnings.push({
        message: 'No Host header validation: DNS rebinding is only half covered',
        file: APP_FILE,
        remediation: `Validate the Host header against ALLOWED_HOSTS (src/middleware/host.ts) in ${APP_FILE}.`,
      });
    }

    return conclude(
      `Origin allow-list from ALLOWED_ORIGINS${allowed?.value ? ` (${allowed.value})` : " (empty: every Origin but the server's own loopback one rejected)"}, enforced with 403 in ${APP_FILE}`,
      { failures, warnings },
    );
  },
  // Sent with the credentials; judged only when the same request without Origin gets past
  // authentication, so an authentication refusal cannot pass for an Origin refusal.
  async live(ctx) {
    await requireReachable(ctx);
    const failures: Finding[] = [];
    const remediation =
      'Reject a request whose Origin header is present and not in ALLOWED_ORIGINS with 403, before authentication and before the MCP transport sees it.';
    const init = await postMcp(ctx, initializeBody(1, LATEST_PROTOCOL_VERSION, toolInfo().version), {
      origin: FOREIGN_ORIGIN,
    });
    const accepted = init.status >= 200 && init.status < 300;
    // Refused without an Origin as well: a 401 or 403 here is authentication's, not an Origin check's.
    const gate = await authGate(ctx);
    if (gate.refused && !accepted) return behindAuthentication(gate, 'the Origin check');
    if (accepted) {
      failures.push({
        message: `The server accepted a foreign origin: initialize with Origin ${FOREIGN_ORIGIN} answered ${init.status}`,
        remediation,
      });
    } else if (init.status !== 403) {
      failures.push({
        message: `initialize with Origin ${FOREIGN_ORIGIN} answered ${init.status}, not 403`,
        remediation,
      });
    }

    const notes: string[] = [];
    let refusedCalls = 0;
    // The refused tool call is tried in every era the server serves, each with its own era's client.
    const served = servedList(await servedEras(ctx));
    for (const era of served.length > 0 ? served : (['legacy'] as const)) {
      const label = `[${ERA_VERSION[era]}]`;
      await withMcpSession(
        ctx,
        async (opened) => {
          if (!opened.ok) {
            notes.push(`${label} tools/call not tried (no session: ${opened.reason})`);
            return;
          }
          const tool = harmlessTool(opened.session.tools);
          if (!tool) {
            notes.push(`${label} tools/call not tried (no read-only tool to call)`);
            return;
          }
          const request = opened.session.request(2, 'tools/call', {
            name: tool.name,
            arguments: sampleArguments(tool),
          });
          const call = await postMcp(ctx, request.body, {
            ...opened.session.sessionHeaders,
            ...request.headers,
            origin: FOREIGN_ORIGIN,
          });
          const ran = jsonRpcMessages(call.body).some((message) => message.id === 2 && 'result' in message);
          if (ran) {
            failures.push({
              message: `${label} tools/call ${tool.name} with Origin ${FOREIGN_ORIGIN} ran and returned a result (HTTP ${call.status})`,
              remediation,
            });
          } else if (call.status !== 403) {
            failures.push({
              message: `${label} tools/call ${tool.name} with Origin ${FOREIGN_ORIGIN} answered ${call.status}, not 403`,
              remediation,
            });
          } else {
            refusedCalls++;
            notes.push(`${label} tools/call ${tool.name} refused with 403 and did not run`);
          }
        },
        era,
      );
    }
    const detail = notes.length > 0 ? `; ${notes.join('; ')}` : '';
    // The gate let these credentials (or none) through, so the 403 was the Origin check's.
    const credentials = gate.given ? 'with credentials the server accepts' : 'and the server needs no credentials';
    if (failures.length === 0 && refusedCalls === 0) {
      // initialize alone is not the property: a session's tool call from a foreign page must be refused too.
      return {
        status: 'skip',
        summary: `initialize with Origin ${FOREIGN_ORIGIN} got 403 ${credentials}, but no tools/call could be tried${detail}`,
        findings: [],
      };
    }
    return conclude(`A foreign Origin (${FOREIGN_ORIGIN}) gets 403 ${credentials}${detail}`, { failures });
  },
};
