import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWizard } from '../../src/steps/index.js';
import { makeContext } from './helpers.js';

/** Runs the wizard with --yes into `app` and returns what it printed and the generated package.json. */
async function generate(overrides: Parameters<typeof makeContext>[0]) {
  const ctx = makeContext({ dir: 'app', yes: true, options: { pattern: 'single' }, ...overrides });
  await runWizard(ctx);
  const pkg = JSON.parse(readFileSync(join(ctx.cwd, 'app', 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  return { printed: ctx.printed.join('\n'), pkg };
}

describe('next steps', () => {
  it('end with npm run verify, which the project itself provides', async () => {
    const { printed, pkg } = await generate({ generator: { version: '1.4.0', spec: '1.4.0' } });
    const steps = printed.slice(printed.indexOf('Next steps:'));
    expect(steps).toMatch(/^ {2}npm run verify\s+# the deployment checklist/m);
    expect(steps).not.toMatch(/npx/);
    expect(pkg.scripts.verify).toBe('mcp-arch verify checklist');
    expect(pkg.devDependencies['create-mcp-arch']).toBe('1.4.0');
    // A published generator needs no word about links.
    expect(steps).not.toMatch(/not on the npm registry/);
  });

  it('say that a project generated from a source checkout links that checkout', async () => {
    const { printed, pkg } = await generate({
      generator: { version: '1.4.0', spec: 'file:/home/me/src/create-mcp-arch' },
    });
    expect(pkg.devDependencies['create-mcp-arch']).toBe('file:/home/me/src/create-mcp-arch');
    expect(printed).toMatch(
      /create-mcp-arch is not on the npm registry yet, so package\.json links it from this checkout/,
    );
    expect(printed).toContain('"file:/home/me/src/create-mcp-arch"');
  });

  it('use the chosen package manager for verify too, with the notes lined up', async () => {
    const { printed } = await generate({
      generator: { version: '1.4.0', spec: '1.4.0' },
      run: { install: false, git: false, pm: 'pnpm', dryRun: false, json: false },
    });
    const commented = printed.split('\n').filter((line) => line.includes('   # '));
    expect(commented.map((line) => line.trim().split(/\s+#/)[0])).toEqual([
      'cp .env.example .env',
      'pnpm test',
      'pnpm start',
      'pnpm verify',
    ]);
    expect(new Set(commented.map((line) => line.indexOf('#'))).size).toBe(1);
  });
});
