import { describe, expect, it } from 'vitest';
import { toBlueprint } from '../../src/core/blueprint.js';
import type { ProjectOptions } from '../../src/core/options.js';
import { render, RenderError } from '../../src/render/render.js';
import { loadTemplates, type TemplateSet } from '../../src/render/templates.js';

const options: ProjectOptions = {
  name: 'demo-app',
  pattern: 'single',
  store: 'memory',
  deploy: ['docker'],
  authMode: 'apikey',
  sessionMode: 'stateless',
  protocol: 'dual',
};

function set(files: Record<string, string | Buffer>, partials: Record<string, string> = {}): TemplateSet {
  const catalog: Record<string, string[]> = {};
  const map = new Map<string, { contents: Buffer; executable: boolean }>();
  for (const [path, contents] of Object.entries(files)) {
    const [folder, ...rest] = path.split('/');
    (catalog[folder!] ??= []).push(rest.join('/'));
    map.set(path, {
      contents: Buffer.isBuffer(contents) ? contents : Buffer.from(contents),
      executable: path.endsWith('.sh'),
    });
  }
  return { catalog, files: map, partials: new Map(Object.entries(partials)) };
}

describe('render', () => {
  it('substitutes variables in .hbs files, copies the rest byte for byte, keeps the executable bit', () => {
    const binary = Buffer.from([0, 1, 2, 255, 0x7b, 0x7b]);
    const templates = set(
      {
        'base/README.md.hbs': '# {{title}} ({{pattern}}) on {{port}} {{> note}}',
        'base/logo.bin': binary,
        'base/run.sh': '#!/bin/sh\necho {{not-a-variable}}\n',
      },
      { note: 'auth={{authMode}}' },
    );
    const files = render(toBlueprint(options, templates.catalog, '1.2.3'), templates);
    const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
    expect(byPath['README.md']!.contents).toBe('# Demo App (single) on 3000 auth=apikey');
    expect(byPath['logo.bin']!.contents).toEqual(binary);
    expect(byPath['run.sh']!.contents.toString()).toContain('{{not-a-variable}}');
    expect(byPath['run.sh']!.executable).toBe(true);
  });

  it('writes package.json and mcp-arch.json from the blueprint', () => {
    const templates = set({ 'base/a.txt': 'a' });
    const files = render(toBlueprint(options, templates.catalog, '1.2.3'), templates);
    const pkg = JSON.parse(files.find((f) => f.path === 'package.json')!.contents as string);
    expect(pkg).toMatchObject({ name: 'demo-app', type: 'module', private: true, engines: { node: '>=22.13' } });
    expect(pkg.scripts.test).toBe('vitest run');
    const manifest = JSON.parse(files.find((f) => f.path === 'mcp-arch.json')!.contents as string);
    expect(manifest).toMatchObject({
      name: 'demo-app',
      pattern: 'single',
      generator: { name: 'create-mcp-arch', version: '1.2.3' },
    });
  });

  it('fails on an unknown variable (strict mode), naming the template', () => {
    const templates = set({ 'base/bad.txt.hbs': 'hello {{nosuchvariable}}' });
    expect(() => render(toBlueprint(options, templates.catalog, '1'), templates)).toThrow(RenderError);
    expect(() => render(toBlueprint(options, templates.catalog, '1'), templates)).toThrow(
      /base\/bad\.txt\.hbs.*nosuchvariable/,
    );
  });

  it('does not HTML-escape generated code', () => {
    const templates = set({ 'base/x.ts.hbs': 'const d = `{{description}}` && "<{{name}}>";' });
    const out = render(toBlueprint({ ...options, name: 'a-b' }, templates.catalog, '1'), templates);
    expect(out.find((f) => f.path === 'x.ts')!.contents).toContain('"<a-b>"');
  });

  it('renders every shipped template of every generated pattern', () => {
    const templates = loadTemplates();
    const files = render(toBlueprint(options, templates.catalog, '1.0.0'), templates);
    expect(files.length).toBeGreaterThan(2);
    for (const file of files) expect(String(file.contents)).not.toMatch(/\{\{[#/]?\w/);
  });
});
