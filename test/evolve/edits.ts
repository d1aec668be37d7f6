import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RenderedFile } from '../../src/render/render.js';
import { read, stableLineAcross, textOf, write } from './helpers.js';

/** What a user changed in a generated project, to find again after it evolved. */
export interface UserEdits {
  /** Path -> a text the file must still hold. */
  kept: Record<string, string>;
}

/** The new tool: the example `echo` tool's registration, copied under another name. */
export function withShoutTool(tools: string): string {
  const echo = /\n( *)server\.registerTool\(\n\s*'echo',[\s\S]*?\n\1\);\n/.exec(tools);
  if (!echo) throw new Error("src/mcp/tools.ts has no registration of the 'echo' tool to copy");
  const shout = echo[0].replace(/'echo'/g, "'shout'").replace('Echo', 'Shout');
  return tools.replace(echo[0], echo[0] + shout.slice(1));
}

/**
 * The edits a user makes to a generated project: a new tool in src/mcp/tools.ts, a changed
 * setting in .env.example and an edited README paragraph. The setting and the paragraph are
 * ones the evolution leaves alone with their context (`before` -> `after`, the two renderings),
 * so the edits merge cleanly; a user-only file is added as well.
 */
export function editProject(dir: string, before: readonly RenderedFile[], after: readonly RenderedFile[]): UserEdits {
  return editForChain(dir, [before, after]);
}

/**
 * The same edits for a chain of evolutions (`renderings`: the project as generated, then after
 * each step): the setting and the paragraph are ones no step changes with their context.
 */
export function editForChain(dir: string, renderings: readonly (readonly RenderedFile[])[]): UserEdits {
  const kept: Record<string, string> = {};
  const texts = (path: string) => renderings.map((files) => textOf(files, path)!);

  if (renderings.slice(1).every((files) => textOf(files, 'src/mcp/tools.ts') !== undefined)) {
    write(dir, 'src/mcp/tools.ts', withShoutTool(read(dir, 'src/mcp/tools.ts')));
    kept['src/mcp/tools.ts'] = "'shout'";
    // The project's own test lists every tool: its owners list the new one too.
    const listing = /\[(?:'[a-z_]+', )*'echo'(?:, '[a-z_]+')*\]/;
    const test = existsSync(join(dir, 'test/mcp.test.ts')) ? read(dir, 'test/mcp.test.ts') : undefined;
    const list = test === undefined ? null : listing.exec(test);
    if (list) {
      const names = [...list[0].matchAll(/'([a-z_]+)'/g)].map((match) => match[1]!);
      const withShout = `[${[...names, 'shout']
        .sort()
        .map((name) => `'${name}'`)
        .join(', ')}]`;
      write(dir, 'test/mcp.test.ts', test!.replace(list[0], withShout));
      kept['test/mcp.test.ts'] = withShout;
    }
  }

  const setting = stableLineAcross(texts('.env.example'), (line) => /^(RATE_LIMIT_RPS|LOG_LEVEL)=/.test(line));
  const changed = setting.startsWith('LOG_LEVEL=') ? 'LOG_LEVEL=warn' : 'RATE_LIMIT_RPS=25';
  write(dir, '.env.example', read(dir, '.env.example').replace(`${setting}\n`, `${changed}\n`));
  kept['.env.example'] = `\n${changed}\n`;

  const paragraph = stableLineAcross(texts('README.md'), (line) => line.length > 40 && /^[A-Za-z]/.test(line));
  const edited = `${paragraph} Our team owns this server.`;
  write(dir, 'README.md', read(dir, 'README.md').replace(paragraph, edited));
  kept['README.md'] = edited;

  write(dir, 'NOTES.md', '# Our notes\n');
  kept['NOTES.md'] = '# Our notes';
  return { kept };
}

/**
 * The project after the evolution: every edit is there, and every other file is what the new
 * rendering holds (so the feature's files are present and nothing stale is left).
 */
export function expectEvolved(
  dir: string,
  before: readonly RenderedFile[],
  after: readonly RenderedFile[],
  edits: UserEdits,
): void {
  for (const [path, text] of Object.entries(edits.kept)) expect(read(dir, path), path).toContain(text);
  for (const file of after) {
    if (file.path in edits.kept) continue;
    expect(read(dir, file.path), file.path).toBe(file.contents.toString());
  }
  const kept = new Set(after.map((file) => file.path));
  for (const file of before)
    if (!kept.has(file.path) && !(file.path in edits.kept))
      expect(existsSync(join(dir, file.path)), file.path).toBe(false);
}
