import { toBlueprint, type Blueprint } from '../../src/core/blueprint.js';
import type { ProjectOptions } from '../../src/core/options.js';
import { render } from '../../src/render/render.js';
import { loadTemplates, type TemplateSet } from '../../src/render/templates.js';

const templates = loadTemplates();

/** A generated project in memory, rendered as `generate` renders it: its blueprint and its files by path. */
export interface RenderedProject {
  blueprint: Blueprint;
  files: Map<string, string>;
  /** A file's text; throws naming the path when the project has no such file. */
  file(path: string): string;
}

/** Renders with the shipped templates unless given others (a test that breaks one template on purpose). */
export function renderProject(options: ProjectOptions, set: TemplateSet = templates): RenderedProject {
  const blueprint = toBlueprint(options, set.catalog, '1.0.0');
  const files = new Map(render(blueprint, set).map((f) => [f.path, String(f.contents)]));
  const file = (path: string) => {
    const contents = files.get(path);
    if (contents === undefined) throw new Error(`${path} was not generated`);
    return contents;
  };
  return { blueprint, files, file };
}
