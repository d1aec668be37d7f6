import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { configuredValues, ENV_EXAMPLE, envExample } from '../readers/env.js';
import { APP_FILE, findFirst, middlewareWiring, sources } from '../readers/source.js';
import { requireReachable } from '../runtime/context.js';
import { hasCredentials, initializeBody, jsonRpcMessages } from '../runtime/http.js';
import { harmlessTool, LATEST_PROTOCOL_VERSION, postMcp, sampleArguments, withMcpSession } from '../runtime/mcp.js';
import { toolInfo } from '../../core/tool-info.js';

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
        file: wildcardDefault.file,
        line: wildcardDefault.line,
        remediation: `Default ALLOWED_ORIGINS to an empty list (reject every Origin) in ${wildcardDefault.file}.`,
      });
    }

    const wiring = await middlewareWiring(ctx, /origin/i);
    if (!wiring.module) {
      failures.push({
        message: 'No Origin validation middleware in src/middleware/',
        file: 'src/middleware/origin.ts',
        remediation:
          'Add src/middleware/origin.ts: reject a request whose Origin header is present and not allowed with 403, and use it in src/app.ts.',
      });
    } else {
      if (!/\b403\b/.test(wiring.module.code)) {
        failures.push({
          message: `${wiring.module.file} never answers 403`,
          file: wiring.module.file,
          remediation: `Reject a present, disallowed Origin with 403 Forbidden in ${wiring.module.file}.`,
        });
      }
      if (!wiring.usedIn) {
        failures.push({
          message: `${wiring.module.file} is not used in ${APP_FILE}: Origin is never checked`,
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
      `Origin allow-list from ALLOWED_ORIGINS${allowed?.value ? ` (${allowed.value})` : ' (empty: every Origin rejected)'}, enforced with 403 in ${APP_FILE}`,
      { failures, warnings },
    );
  },
  // Sent with the --header credentials, so a 401 cannot pass for an Origin refusal.
  async live(ctx) {
    await requireReachable(ctx);
    const failures: Finding[] = [];
    const remediation =
      'Reject a request whose Origin header is present and not in ALLOWED_ORIGINS with 403, before authentication and before the MCP transport sees it.';
    const init = await postMcp(ctx, initializeBody(1, LATEST_PROTOCOL_VERSION, toolInfo().version), {
      origin: FOREIGN_ORIGIN,
    });
    if (init.status === 401 && !hasCredentials(ctx)) {
      return {
        status: 'skip',
        summary: `initialize with Origin ${FOREIGN_ORIGIN} answered 401: pass credentials with --header so the probe reaches the Origin check`,
        findings: [],
      };
    }
    if (init.status >= 200 && init.status < 300) {
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
    await withMcpSession(ctx, async (opened) => {
      if (!opened.ok) {
        notes.push(`tools/call not tried (no session: ${opened.reason})`);
        return;
      }
      const tool = harmlessTool(opened.session.tools);
      if (!tool) {
        notes.push('tools/call not tried (no read-only tool to call)');
        return;
      }
      const call = await postMcp(
        ctx,
        JSON.stringify({
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: tool.name, arguments: sampleArguments(tool) },
        }),
        {
          ...opened.session.sessionHeaders,
          origin: FOREIGN_ORIGIN,
        },
      );
      const ran = jsonRpcMessages(call.body).some((message) => message.id === 2 && 'result' in message);
      if (ran) {
        failures.push({
          message: `tools/call ${tool.name} with Origin ${FOREIGN_ORIGIN} ran and returned a result (HTTP ${call.status})`,
          remediation,
        });
      } else if (call.status !== 403) {
        failures.push({
          message: `tools/call ${tool.name} with Origin ${FOREIGN_ORIGIN} answered ${call.status}, not 403`,
          remediation,
        });
      } else {
        notes.push(`tools/call ${tool.name} refused with 403 and did not run`);
      }
    });
    const detail = notes.length > 0 ? `; ${notes.join('; ')}` : '';
    const credentials = hasCredentials(ctx)
      ? 'with the --header credentials'
      : 'before authentication (no --header credentials given)';
    return conclude(`A foreign Origin (${FOREIGN_ORIGIN}) gets 403 ${credentials}${detail}`, { failures });
  },
};
