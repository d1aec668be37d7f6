import { MANIFEST_FILE } from '../../core/manifest.js';
import type { ProtocolPosture } from '../../core/ids.js';
import {
  checklistItem,
  conclude,
  skipped,
  type Check,
  type CheckOutcome,
  type Finding,
  type LiveContext,
  type StaticContext,
} from '../check.js';
import { configuredValues, ENV_EXAMPLE, envExample } from '../readers/env.js';
import { requireReachable } from '../runtime/context.js';
import {
  ERA_NAME,
  ERA_VERSION,
  ERAS,
  promisedEras,
  servedEras,
  UNSUPPORTED_VERSION,
  type Era,
} from '../runtime/eras.js';
import { startConformance } from '../runtime/conformance.js';

const PROTOCOL_VARIABLE = 'MCP_PROTOCOL';

export const protocolEras: Check = {
  item: checklistItem('protocol.eras'),
  live: probeEras,
  async static(ctx) {
    const { manifest } = ctx;
    const failures: Finding[] = [];
    // The manifest reader has already refused a posture that is not one of PROTOCOL_POSTURES.
    const posture = manifest.protocol ?? 'dual';
    const remediation = `Make ${PROTOCOL_VARIABLE} say "${posture}" everywhere, or change the posture with mcp-arch add protocol <posture>.`;
    const sources: string[] = [];
    const disagree = (file: string, value: string, line: number | undefined, how: string) =>
      failures.push({
        message: `${file} ${how} ${PROTOCOL_VARIABLE}=${value}, but ${MANIFEST_FILE} promises protocol "${posture}"`,
        file,
        ...(line ? { line } : {}),
        remediation,
      });
    const configDefault = await protocolDefault(ctx);
    if (configDefault) {
      sources.push(CONFIG_FILE);
      if (configDefault.value !== posture)
        disagree(CONFIG_FILE, configDefault.value, configDefault.line, 'defaults to');
    }
    const example = (await envExample(ctx))?.get(PROTOCOL_VARIABLE);
    if (example) {
      sources.push(ENV_EXAMPLE);
      if (example.value !== posture) disagree(ENV_EXAMPLE, example.value, example.line, 'sets');
    }
    for (const deployed of await configuredValues(ctx, PROTOCOL_VARIABLE)) {
      const value = composeDefault(deployed.value);
      if (value === undefined) continue;
      sources.push(deployed.file);
      if (value !== posture) disagree(deployed.file, value, deployed.line, 'deploys with');
    }
    if (sources.length === 0) {
      failures.push({
        message: `Nothing in the project sets ${PROTOCOL_VARIABLE} (no default in ${CONFIG_FILE}, no entry in ${ENV_EXAMPLE}): what the server serves cannot be told from its files`,
        file: CONFIG_FILE,
        remediation: `Read ${PROTOCOL_VARIABLE} in ${CONFIG_FILE} with the default "${posture}" and list it in ${ENV_EXAMPLE} (regenerate the project, or mcp-arch upgrade).`,
      });
    }
    if (posture === 'modern' && manifest.sessionMode === 'stateful') {
      failures.push({
        message: `${MANIFEST_FILE} asks for the sessionful 2025 leg (sessionMode "stateful") but protocol "modern" serves MCP ${ERA_VERSION.modern} only`,
        file: MANIFEST_FILE,
        line: await ctx.lineOf(MANIFEST_FILE, '"sessionMode"'),
        remediation: `Set "protocol" to "dual" to keep sessionful 2025-era clients, or "sessionMode" to "stateless" (mcp-arch add protocol dual).`,
      });
    }
    return conclude(
      `Protocol "${posture}": ${describePromise(posture)}; ${PROTOCOL_VARIABLE} agrees in ${[...new Set(sources)].join(', ')}`,
      { failures },
    );
  },
};

/** Where the server reads its configuration, with the defaults it falls back to. */
const CONFIG_FILE = 'src/config.ts';

const DEFAULT_IN_SCHEMA = new RegExp(`${PROTOCOL_VARIABLE}\\s*:[^\\n]*?(?:prefault|default)\\(\\s*['"](\\w+)['"]`);

/** The posture the server falls back to when MCP_PROTOCOL is unset: the default of its configuration schema. */
async function protocolDefault(ctx: StaticContext): Promise<{ value: string; line?: number } | undefined> {
  const text = await ctx.readFile(CONFIG_FILE);
  const match = text === undefined ? null : DEFAULT_IN_SCHEMA.exec(text);
  if (!match) return undefined;
  return { value: match[1] as string, line: await ctx.lineOf(CONFIG_FILE, DEFAULT_IN_SCHEMA) };
}

/**
 * A Compose value as the container sees it when the variable is not exported: `${NAME:-value}`
 * gives `value`; a bare `${NAME}` is decided by the environment, so there is nothing to compare.
 */
function composeDefault(value: string): string | undefined {
  const interpolated = /^\$\{\w+(?::?-([^}]*))?\}$/.exec(value.trim());
  if (!interpolated) return value;
  return interpolated[1];
}

function describePromise(posture: ProtocolPosture): string {
  return posture === 'modern'
    ? `MCP ${ERA_VERSION.modern} only, 2025-era requests refused`
    : `MCP ${ERA_VERSION.modern} and ${ERA_NAME.legacy}`;
}

/**
 * The protocol eras the running server serves (`server/discover` with the v2 client, then
 * `initialize` with the v1 client) against what the project promises: both eras for the `dual`
 * posture (the default); MCP 2026-07-28 alone for `modern`, whose 2025-era `initialize` must be
 * refused with -32022. Without a project, the eras found. Starts the conformance suite in the
 * background (it runs on an instance of its own while the other checks probe this one).
 */
export async function probeEras(ctx: LiveContext): Promise<CheckOutcome> {
  await requireReachable(ctx);
  void startConformance(ctx);
  const found = await servedEras(ctx);
  const served = ERAS.filter((era) => found[era].served);
  const why = (era: Era) => {
    const probe = found[era];
    return probe.served ? 'served' : probe.reason;
  };
  const report = ERAS.map((era) => `[${ERA_VERSION[era]}] ${why(era)}`).join('; ');
  if (served.length === 0) {
    if (/\b401\b|unauthori[sz]ed/i.test(report))
      return skipped(`Neither era could be reached without credentials (${report}): pass them with --header`);
    return conclude('', {
      failures: [
        {
          message: `The server serves neither MCP ${ERA_VERSION.modern} nor the 2025 era at ${ctx.mcpUrl}: ${report}`,
          remediation:
            'Serve MCP at this endpoint (createMcpHandler from @modelcontextprotocol/server serves both eras).',
        },
      ],
    });
  }
  const manifest = ctx.project?.manifest;
  if (!manifest)
    return conclude(`Serves ${served.map((era) => ERA_NAME[era]).join(' and ')} (${report})`, { failures: [] });
  const posture = manifest.protocol ?? 'dual';
  const failures: Finding[] = [];
  for (const era of promisedEras(posture)) {
    if (found[era].served) continue;
    failures.push({
      message: `${MANIFEST_FILE} says protocol "${posture}", but the server does not serve ${ERA_NAME[era]}: ${why(era)}`,
      file: MANIFEST_FILE,
      remediation:
        era === 'modern'
          ? 'Serve /mcp with createMcpHandler from @modelcontextprotocol/server, which answers server/discover.'
          : `Keep 2025-era clients served: set ${PROTOCOL_VARIABLE}=dual (createMcpHandler with legacy: "stateless", or the sessionful leg).`,
    });
  }
  let refusal = '';
  if (posture === 'modern') {
    const legacy = found.legacy;
    if (legacy.served) {
      failures.push({
        message: `${MANIFEST_FILE} says protocol "modern", but the server still answers a 2025-era initialize`,
        file: MANIFEST_FILE,
        remediation: `Refuse 2025-era requests (createMcpHandler with legacy: "reject" answers ${UNSUPPORTED_VERSION}), or set protocol "dual".`,
      });
    } else if (!legacy.reason.includes(String(UNSUPPORTED_VERSION))) {
      failures.push({
        message: `A 2025-era initialize was refused, but not with ${UNSUPPORTED_VERSION} (unsupported protocol version): ${legacy.reason}`,
        remediation: `Answer 2025-era requests with JSON-RPC error ${UNSUPPORTED_VERSION} naming the supported revision (createMcpHandler with legacy: "reject"), so 2025-era clients learn why.`,
      });
    } else {
      refusal = `; the 2025-era initialize was refused with ${UNSUPPORTED_VERSION}`;
    }
  }
  return conclude(
    `Serves ${served.map((era) => ERA_NAME[era]).join(' and ')}, as protocol "${posture}" promises${refusal}`,
    { failures },
  );
}
