import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CHECKLIST } from '../../src/core/checklist.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');
const VERIFY = path.join(SRC, 'verify');

/**
 * The modules `file` loads when it is imported: static imports and re-exports of our own
 * sources. Type-only imports load nothing, and a dynamic `import()` loads on demand, so neither
 * counts. Specifiers ending in `.js` name the `.ts` source beside them.
 */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const out: string[] = [];
  for (const statement of source.statements) {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) specifier = statement.moduleSpecifier;
    if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) specifier = statement.moduleSpecifier;
    if (specifier && ts.isStringLiteral(specifier) && specifier.text.startsWith('.')) {
      out.push(path.resolve(path.dirname(file), specifier.text.replace(/\.js$/, '.ts')));
    }
  }
  return out;
}

/** Every source module loaded when `entries` are imported, entries included. */
function loadedBy(...entries: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = entries.map((entry) => path.join(SRC, entry));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...staticImports(file));
  }
  return seen;
}

const relative = (file: string) => path.relative(SRC, file).split(path.sep).join('/');
const underVerify = (files: Iterable<string>) =>
  [...files]
    .filter((file) => file.startsWith(VERIFY + path.sep))
    .map((file) => path.relative(VERIFY, file).split(path.sep).join('/'))
    .sort();

describe('src/verify layout', () => {
  it('keeps readers, the runtime, the checks and the reporters in folders of their own, with no mixed folder left', () => {
    const folders = readdirSync(VERIFY, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(folders).toEqual(['checks', 'readers', 'reporters', 'runtime']);
  });

  it('holds one file per checklist item in checks/, named after its id, and nothing but checks and their index', () => {
    const expected = CHECKLIST.map((item) => `${item.id.replace('.', '-')}.ts`);
    const files = readdirSync(path.join(VERIFY, 'checks')).filter((name) => name !== 'index.ts');
    expect(files.sort()).toEqual([...expected].sort());
  });

  it('lets readers read files only: no reader loads the runtime or a check', () => {
    const readers = readdirSync(path.join(VERIFY, 'readers')).map((name) => `verify/readers/${name}`);
    const loaded = underVerify(loadedBy(...readers));
    expect(loaded.filter((file) => !file.startsWith('readers/') && file !== 'check.ts')).toEqual([]);
  });

  it('never imports src/verify from src/core', () => {
    const core = readdirSync(path.join(SRC, 'core')).filter((name) => name.endsWith('.ts'));
    for (const name of core) {
      const file = path.join(SRC, 'core', name);
      const source = readFileSync(file, 'utf8');
      // Any mention of a module path into verify counts here, type-only and dynamic imports too.
      expect(source, `src/core/${name}`).not.toMatch(/from\s+['"][^'"]*\/verify\/|import\(\s*['"][^'"]*\/verify\//);
    }
  });

  it('generates projects and starts both CLIs without loading a check or the runtime', () => {
    for (const entry of ['cli/create.ts', 'cli/mcp-arch.ts', 'core/blueprint.ts']) {
      expect(existsSync(path.join(SRC, entry)), entry).toBe(true);
      // The CLI lists verify's formats in its help; everything else (options included) loads when verify runs.
      expect(underVerify(loadedBy(entry)), entry).toEqual(entry === 'cli/mcp-arch.ts' ? ['formats.ts'] : []);
    }
  });

  it('sees a static import as loading a module, and a dynamic or type-only one as not', () => {
    const program = staticImports(path.join(SRC, 'cli/mcp-arch-program.ts')).map(relative);
    expect(program).toContain('verify/formats.ts');
    expect(program).not.toContain('verify/options.ts');
    expect(program).not.toContain('verify/index.ts');
    expect(readFileSync(path.join(SRC, 'cli/mcp-arch-program.ts'), 'utf8')).toContain("import('../verify/index.js')");
  });
});
