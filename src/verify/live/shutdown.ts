import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { conclude, skipped, type CheckOutcome, type Finding, type LiveContext } from '../check.js';
import { MANIFEST_FILE } from '../../core/manifest.js';
import { toolInfo } from '../../core/tool-info.js';
import { sleep } from './http.js';
import { notStartedByVerify } from './logging.js';

/** Time between starting the slow call and SIGTERM: long enough for the call to be in flight. */
const SIGTERM_AFTER_MS = 300;

/**
 * Starts a fresh instance, begins the manifest's slow tool call, sends SIGTERM while it runs,
 * and expects the call to complete and the process to exit 0.
 */
export async function probeGracefulShutdown(ctx: LiveContext): Promise<CheckOutcome> {
  const local = ctx.local;
  if (!local) return notStartedByVerify(ctx, 'Sending SIGTERM');
  const slow = ctx.project?.manifest.start.slowTool;
  if (!slow) return skipped(`${MANIFEST_FILE} names no "start.slowTool" to keep a call in flight at SIGTERM`);
  const instance = await local.launch();
  const mcpPath = ctx.project?.manifest.start.mcpPath ?? '/mcp';
  const client = new Client({ name: 'mcp-arch-verify', version: toolInfo().version });
  const transport = new StreamableHTTPClientTransport(new URL(`${instance.url}${mcpPath}`), { requestInit: { headers: { ...ctx.headers } } });
  const failures: Finding[] = [];
  const remediation = 'On SIGTERM, stop accepting, let in-flight requests finish (bounded by SHUTDOWN_TIMEOUT_MS), then exit 0 (src/lifecycle/shutdown.ts, src/index.ts).';
  try {
    await client.connect(transport, { timeout: 10_000 });
    const { tools } = await client.listTools({}, { timeout: 10_000 });
    // A gateway may namespace backend tools (`backend__tool`): the manifest names the tool itself.
    const listed = tools.find((tool) => tool.name === slow.name) ?? tools.find((tool) => tool.name.endsWith(`__${slow.name}`));
    if (!listed) {
      return skipped(`The slow tool ${slow.name} named in ${MANIFEST_FILE} "start.slowTool" is not listed by the server`);
    }
    const began = Date.now();
    const call = client.callTool({ name: listed.name, arguments: slow.arguments }, undefined, { timeout: 30_000 }).then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error: error as Error }),
    );
    await sleep(SIGTERM_AFTER_MS);
    const exit = instance.stop('SIGTERM', 30_000);
    const outcome = await call;
    const exited = await exit;
    const tookMs = Date.now() - began;
    if (!outcome.ok) {
      failures.push({ message: `The ${slow.name} call in flight at SIGTERM did not complete: ${outcome.error.message}`, remediation });
    } else if (outcome.result.isError) {
      failures.push({ message: `The ${slow.name} call in flight at SIGTERM ended with a tool error`, remediation });
    }
    if (exited.code !== 0) {
      failures.push({ message: `After SIGTERM the process exited with ${exited.code ?? exited.signal}, not 0`, remediation });
    }
    return conclude(`A ${slow.name} call in flight at SIGTERM completed (${tookMs} ms) and the process exited 0`, { failures });
  } finally {
    await client.close().catch(() => undefined);
    await instance.stop('SIGKILL', 5_000);
  }
}
