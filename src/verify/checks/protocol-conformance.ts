import { checklistItem, notApplicable, type Check, type CheckOutcome, type LiveContext } from '../check.js';
import { requireReachable } from '../runtime/context.js';
import { startConformance } from '../runtime/conformance.js';

export const protocolConformance: Check = {
  item: checklistItem('protocol.conformance'),
  live: probeConformance,
  async static() {
    return notApplicable('Proven live only: the official conformance suite runs against a live server (verify --live)');
  },
};

/**
 * The official suite's verdict for each era the server serves. The run starts with the first
 * protocol probe and goes on beside the other checks; this waits for it (it is bounded in time).
 */
export async function probeConformance(ctx: LiveContext): Promise<CheckOutcome> {
  await requireReachable(ctx);
  return startConformance(ctx);
}
