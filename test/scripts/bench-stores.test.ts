import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProjectOptions } from '../../src/core/options.js';
import { renderProject } from '../render/rendered.js';

/** The project `npm run bench:stores` generates (`--pattern load-balanced --store hybrid`): every store kind it measures. */
const options: ProjectOptions = {
  name: 'app',
  pattern: 'load-balanced',
  store: 'hybrid',
  deploy: ['docker'],
  authMode: 'apikey',
  sessionMode: 'stateful',
  protocol: 'dual',
};

const script = readFileSync(new URL('../../scripts/bench-stores.mjs', import.meta.url), 'utf8');

/**
 * What an `import { a, b } from './dist/x.js'` of the benchmark's worker would not find in the
 * built project: a module it does not generate, or a name that module does not export.
 */
function unresolved(text: string, files: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [, list, path] of text.matchAll(/^import \{([^}]+)\} from '\.\/dist\/([^']+)\.js';$/gm)) {
    const source = `src/${path}.ts`;
    const module = files.get(source);
    if (module === undefined) problems.push(`${source} is not generated`);
    else
      for (const name of list!.split(',').map((item) => item.trim()))
        if (!new RegExp(`^export (?:async function|function|class|const) ${name}\\b`, 'm').test(module))
          problems.push(`${source} exports no ${name}`);
  }
  return problems;
}

describe('bench:stores', () => {
  const { files } = renderProject(options);

  it('imports only modules of the project it generates, and names they export', () => {
    expect(unresolved(script, files)).toEqual([]);
    // The check read the worker's imports at all.
    expect(script).toContain("from './dist/store/connect-redis.js'");
  });

  it('names the module a project does not have, and the name a module does not export', () => {
    const stale =
      "import { openSessionStore } from './dist/store/index.js';\nimport { loadConfig, loadSettings } from './dist/config.js';";
    expect(unresolved(stale, files)).toEqual([
      'src/store/index.ts is not generated',
      'src/config.ts exports no loadSettings',
    ]);
  });
});
