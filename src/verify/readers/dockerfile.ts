import type { StaticContext } from '../check.js';

export const DOCKERFILE = 'Dockerfile';

export interface DockerInstruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions of a Dockerfile (continuations joined), or `undefined` when it is missing. */
export async function dockerfile(ctx: StaticContext, file = DOCKERFILE): Promise<DockerInstruction[] | undefined> {
  const text = await ctx.readFile(file);
  if (text === undefined) return undefined;
  const out: DockerInstruction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = (lines[i] as string).trim();
    if (!line || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = (lines[i] as string).trim();
      line = `${line.slice(0, -1)} ${next.startsWith('#') ? '' : next}`;
    }
    const match = /^(\w+)\s*(.*)$/s.exec(line);
    if (match)
      out.push({ keyword: (match[1] as string).toUpperCase(), args: (match[2] as string).trim(), line: start + 1 });
  }
  return out;
}
