import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { TemplateCatalog } from '../core/blueprint.js';
import { packageRoot } from '../core/tool-info.js';

/** Files never taken from a template folder (left there by trying the template out). */
const IGNORED = new Set(['node_modules', 'dist', 'package-lock.json', '.DS_Store', 'coverage']);

export interface TemplateFile {
  contents: Buffer;
  executable: boolean;
}

/** Every template file, read once: the only disk input of the render step. */
export interface TemplateSet {
  catalog: TemplateCatalog;
  /** Keyed by `<folder>/<path>`. */
  files: ReadonlyMap<string, TemplateFile>;
  /** Partial name -> source, from `templates/partials/*.hbs`. */
  partials: ReadonlyMap<string, string>;
}

/** The templates shipped with the package: `<package>/templates`. */
export function defaultTemplatesDir(): string {
  return join(packageRoot(), 'templates');
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (IGNORED.has(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

export function loadTemplates(root = defaultTemplatesDir()): TemplateSet {
  const catalog: Record<string, string[]> = {};
  const files = new Map<string, TemplateFile>();
  const partials = new Map<string, string>();
  for (const folder of readdirSync(root, { withFileTypes: true })) {
    // The templates are also a workspace: its installed node_modules is no template folder.
    if (!folder.isDirectory() || IGNORED.has(folder.name)) continue;
    const folderPath = join(root, folder.name);
    for (const full of walk(folderPath).sort()) {
      const rel = relative(folderPath, full).split(sep).join('/');
      if (folder.name === 'partials') {
        if (rel.endsWith('.hbs')) partials.set(rel.slice(0, -'.hbs'.length), readFileSync(full, 'utf8'));
        continue;
      }
      (catalog[folder.name] ??= []).push(rel);
      files.set(`${folder.name}/${rel}`, {
        contents: readFileSync(full),
        executable: (statSync(full).mode & 0o111) !== 0,
      });
    }
  }
  return { catalog, files, partials };
}
