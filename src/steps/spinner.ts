import type { Output } from './context.js';

const FRAMES = ['|', '/', '-', '\\'];

/**
 * Shows progress while `work` runs: a redrawn line on a terminal, one plain line otherwise
 * (CI logs should not fill with frames).
 */
export async function withSpinner<T>(output: Output, title: string, work: () => Promise<T>): Promise<T> {
  if (!output.interactiveErr) {
    output.info(`${title}...`);
    return work();
  }
  let frame = 0;
  const started = Date.now();
  const draw = () =>
    process.stderr.write(
      `\r${FRAMES[frame++ % FRAMES.length]} ${title} (${Math.round((Date.now() - started) / 1000)}s)`,
    );
  draw();
  const timer = setInterval(draw, 100);
  try {
    const result = await work();
    process.stderr.write(`\r\u001b[2K`);
    output.info(`${title}: done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return result;
  } catch (error) {
    process.stderr.write(`\r\u001b[2K`);
    throw error;
  } finally {
    clearInterval(timer);
  }
}
