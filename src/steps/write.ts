import { writeProject } from '../render/writer.js';
import type { Context } from './context.js';

/** The only step that touches the target directory. */
export async function write(
  ctx: Pick<Context, 'targetDir' | 'files' | 'signal' | 'run' | 'result' | 'output'>,
): Promise<void> {
  if (ctx.run.dryRun) return;
  await writeProject(ctx.targetDir!, ctx.files!, { signal: ctx.signal });
  ctx.result.written = true;
  ctx.output.info(`Created ${ctx.files!.length} files in ${ctx.targetDir}`);
}
