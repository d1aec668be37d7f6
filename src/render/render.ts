import Handlebars from 'handlebars';
import type { Blueprint } from '../core/blueprint.js';
import { generatedNode } from '../core/versions.js';
import { helpers } from './helpers.js';
import type { TemplateSet } from './templates.js';
import { toYaml } from './yaml.js';

/** A file of the generated project, in memory. */
export interface RenderedFile {
  path: string;
  contents: string | Buffer;
  executable: boolean;
}

/** A template failed to render; names the template so the message can be acted on. */
export class RenderError extends Error {
  constructor(template: string, cause: unknown) {
    super(`template ${template}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RenderError';
  }
}

function packageJson(blueprint: Blueprint): string {
  const pkg = {
    name: blueprint.options.name,
    version: '0.1.0',
    private: true,
    description: blueprint.description,
    type: 'module',
    engines: { node: generatedNode.engines },
    scripts: blueprint.scripts,
    dependencies: blueprint.dependencies,
    devDependencies: blueprint.devDependencies,
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/**
 * Blueprint -> files, in memory. Handlebars runs in strict mode, so a variable a template
 * names but the blueprint lacks is an error instead of an empty string in a generated file.
 */
export function render(blueprint: Blueprint, templates: TemplateSet): RenderedFile[] {
  const hbs = Handlebars.create();
  hbs.registerHelper(helpers);
  for (const [name, source] of templates.partials) hbs.registerPartial(name, source);

  return blueprint.files.map((file): RenderedFile => {
    if (file.kind === 'document') {
      const contents = file.format === 'yaml' ? toYaml(file.file) : `${JSON.stringify(file.document, null, 2)}\n`;
      return { path: file.destination, contents, executable: false };
    }
    if (file.kind === 'generated') {
      const contents =
        file.generator === 'package.json' ? packageJson(blueprint) : `${JSON.stringify(blueprint.manifest, null, 2)}\n`;
      return { path: file.destination, contents, executable: false };
    }
    const template = templates.files.get(file.template);
    if (!template) throw new RenderError(file.template, new Error('not found in the template set'));
    if (!file.render) return { path: file.destination, contents: template.contents, executable: template.executable };
    try {
      const compiled = hbs.compile(template.contents.toString('utf8'), { strict: true, noEscape: true });
      return { path: file.destination, contents: compiled(blueprint.variables), executable: template.executable };
    } catch (error) {
      throw new RenderError(file.template, error);
    }
  });
}
