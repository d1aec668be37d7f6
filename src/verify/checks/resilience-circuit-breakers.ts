import path from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  checklistItem,
  conclude,
  notApplicable,
  type Check,
  type CheckOutcome,
  type Finding,
  type LiveContext,
  type LocalInstance,
} from '../check.js';
import { findFirst, sources } from '../readers/source.js';
import { toolInfo } from '../../core/tool-info.js';
import { sleep } from '../runtime/http.js';
import { startMcpBackend } from '../runtime/loopback.js';
import { notStartedByVerify } from '../runtime/context.js';
import { OWN_INSTANCE_ENV } from '../runtime/local.js';
import { outputTail } from '../runtime/launch.js';

const BREAKER = /circuit\s*-?\s*breaker|CircuitBreaker|\bbreaker\b/i;
const LIBRARY = /from\s+['"](?:opossum|cockatiel)['"]/;

export const resilienceCircuitBreakers: Check = {
  item: checklistItem('resilience.circuit-breakers'),
  ownInstances: true,
  live: probeCircuitBreaker,
  async static(ctx) {
    const code = await sources(ctx);
    const library = findFirst(code, LIBRARY);
    if (library) {
      return conclude(`Circuit breaker from a library in ${library.file}`, { failures: [] });
    }
    const candidates = code.filter(
      (file) => BREAKER.test(file.code) && /\bopen\b|['"]open['"]|isOpen|OPEN/.test(file.code),
    );
    if (candidates.length === 0) {
      return conclude('', {
        failures: [
          {
            message: `No circuit breaker found in src/: a dead dependency of the ${ctx.manifest.pattern} pattern is hit on every call and slows every client`,
            file: 'src',
            remediation:
              'Wrap calls to each backend or store in a circuit breaker (closed -> open after N failures -> half-open probe after a cool-down), e.g. src/resilience/circuit-breaker.ts.',
          },
        ],
      });
    }
    const failures: Finding[] = [];
    const [first] = candidates;
    const files = candidates.map((file) => file.file).join(', ');
    const at = { file: first?.file, line: first ? findFirst([first], BREAKER)?.line : undefined };
    if (!candidates.some((file) => /half[-_\s]?open|halfOpen|HALF_OPEN/i.test(file.code))) {
      failures.push({
        message: `The breaker in ${files} has no half-open state: once open it never tests whether the dependency recovered`,
        ...at,
        remediation: `After a cool-down, let one probe through (half-open) and close on success, in ${first?.file ?? 'the breaker'}.`,
      });
    }
    if (!candidates.some((file) => /threshold|maxFailures|failures\s*[<>]=?|failureCount/i.test(file.code))) {
      failures.push({
        message: `The breaker in ${files} has no failure threshold`,
        ...at,
        remediation: `Open the breaker after a configured number of consecutive failures in ${first?.file ?? 'the breaker'}.`,
      });
    }
    return conclude(`Circuit breaker with open and half-open states in ${files}`, { failures });
  },
};

/** The servers file of a generated gateway; the probe writes its own and points GATEWAY_CONFIG at it. */
export const GATEWAY_CONFIG_FILE = 'gateway.config.json';
/** The gateway's settings this probe drives (src/gateway/settings.ts of a generated gateway). */
const THRESHOLD = 3;
const COOLDOWN_MS = 1_500;
/** Calls made while the backend fails: enough to open the breaker and then some. */
const CALLS_WHILE_DOWN = 10;
/** The last calls while down must not each reach the backend. */
const TAIL = 4;

/**
 * For a generated gateway: starts a loopback MCP backend verify controls, a gateway instance
 * whose only backend it is, then makes the backend fail. The breaker must stop sending calls to
 * it (the last calls never reach it), and once the backend recovers and the cooldown passes,
 * a call must get through again (half-open, then closed).
 */
export async function probeCircuitBreaker(ctx: LiveContext): Promise<CheckOutcome> {
  const local = ctx.local;
  if (!local) return notStartedByVerify(ctx, 'Failing a backend on purpose');
  const project = ctx.project;
  // A project whose server serves the backends of gateway.config.json (its manifest requires that file).
  if (
    !project?.manifest.requiredFiles.some(({ file }) => file === GATEWAY_CONFIG_FILE) ||
    !(await project.exists(GATEWAY_CONFIG_FILE))
  ) {
    return notApplicable(
      'Live breaker probes drive a generated gateway (gateway.config.json, GATEWAY_BREAKER_*); this project is judged from its files only',
    );
  }
  const backend = await startMcpBackend();
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-arch-breaker-'));
  const config = path.join(dir, 'gateway.config.json');
  await writeFile(config, JSON.stringify({ mcpServers: { probe: { url: `${backend.url}/mcp`, timeoutMs: 2_000 } } }));
  const failures: Finding[] = [];
  const remediation =
    'Wrap every backend call in a circuit breaker (src/aggregate/breaker.ts): open after GATEWAY_BREAKER_THRESHOLD consecutive failures, fail fast while open, let one call through after GATEWAY_BREAKER_COOLDOWN_MS and close on success.';
  let instance: LocalInstance | undefined;
  try {
    instance = await local.launch({
      ...OWN_INSTANCE_ENV,
      GATEWAY_CONFIG: config,
      GATEWAY_BREAKER_THRESHOLD: String(THRESHOLD),
      GATEWAY_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
    });
    const client = new Client({ name: 'mcp-arch-verify', version: toolInfo().version });
    const transport = new StreamableHTTPClientTransport(new URL(`${instance.url}${project.manifest.start.mcpPath}`), {
      requestInit: { headers: { ...ctx.headers } },
    });
    try {
      await client.connect(transport, { timeout: 10_000 });
      const { tools } = await client.listTools({}, { timeout: 10_000 });
      const echo = tools.find((tool) => tool.name === 'echo' || tool.name.endsWith('__echo'));
      if (!echo)
        return {
          status: 'skip',
          summary: "The gateway did not list the probe backend's echo tool, so no call could be routed to it",
          findings: [],
        };
      /** What the last failed call got, so that a finding says it. */
      let lastFailure = '';
      const call = async () => {
        try {
          const result = await client.callTool({ name: echo.name, arguments: { text: 'breaker' } }, undefined, {
            timeout: 10_000,
          });
          if (result.isError === true) lastFailure = `the tool error "${toolErrorText(result)}"`;
          return result.isError !== true;
        } catch (error) {
          lastFailure = `the error "${error instanceof Error ? error.message : String(error)}"`;
          return false;
        }
      };

      backend.down = true;
      const hitsPerCall: number[] = [];
      for (let index = 0; index < CALLS_WHILE_DOWN; index++) {
        const before = backend.hits;
        await call();
        hitsPerCall.push(backend.hits - before);
      }
      // Calls to an instance that is gone say nothing of its breaker.
      const goneWhileDown = exitFinding(instance);
      if (goneWhileDown) return conclude('', { failures: [goneWhileDown] });
      // A reconnect loop may touch the backend now and then; without a breaker every call does.
      const tailHits = hitsPerCall.slice(-TAIL).reduce((sum, hits) => sum + hits, 0);
      if (tailHits >= TAIL) {
        failures.push({
          message: `With its backend failing, the gateway kept calling it: the last ${TAIL} of ${CALLS_WHILE_DOWN} calls reached the backend ${tailHits} time(s) (threshold ${THRESHOLD})`,
          remediation,
        });
      }

      backend.down = false;
      await sleep(COOLDOWN_MS + 300);
      let recovered = false;
      for (let attempt = 0; attempt < 3 && !recovered; attempt++) {
        recovered = await call();
        if (!recovered) await sleep(COOLDOWN_MS / 2);
      }
      const goneAfter = exitFinding(instance);
      if (goneAfter) failures.push(goneAfter);
      else if (!recovered)
        failures.push({
          message: `After the backend recovered and ${COOLDOWN_MS} ms passed, calls still failed (the last one got ${lastFailure}): the breaker never half-opens`,
          remediation,
        });
      const opened = hitsPerCall.findIndex((hits, index) => index > 0 && hits === 0);
      return conclude(
        `With a failing backend the breaker stopped calls to it after ${opened < 0 ? '?' : opened} call(s) and let calls through again once it recovered`,
        { failures },
      );
    } finally {
      await client.close().catch(() => undefined);
    }
  } finally {
    await instance?.stop('SIGTERM', 10_000);
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The text of a tool error result, shortened for a finding. */
function toolErrorText(result: object): string {
  const raw = (result as { content?: unknown }).content;
  const content = Array.isArray(raw) ? (raw as { type?: string; text?: string }[]) : [];
  const text = content
    .map((item) => (item.type === 'text' ? item.text : ''))
    .join(' ')
    .trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || 'without text';
}

/** A finding when the probed instance ended during the probe, with the end of what it printed; undefined while it runs. */
function exitFinding(instance: LocalInstance): Finding | undefined {
  const exit = instance.exited();
  if (!exit) return undefined;
  const tail = outputTail(instance.output(), 10);
  return {
    message: `The gateway instance verify started for this probe exited during it (${exit.signal ?? `code ${exit.code}`}), so its breaker could not be judged${tail ? `; its last output:\n${tail}` : ''}`,
    remediation:
      'Run the gateway with a backend that fails (or times out) and fix what makes it exit: a failing backend must not end the gateway.',
  };
}
