import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from '../cli/run-bin.js';
import { generate, read, treeHash, write } from './helpers.js';

/** The advisor run inside a generated project says whether, and how, to migrate it. */
const root = tempDir('evolve-advice-');
const GATEWAY_ANSWERS = ['--domains', '4', '--central-auth', '--consumers', 'teams'];

describe('mcp-arch recommend in a generated project', () => {
  const single = join(root, 'single');

  it('prints the migrate command with the reasons when the advice is another pattern', async () => {
    await generate(single, ['--pattern', 'single']);
    const hash = treeHash(single);
    const text = await run('mcpArch', ['recommend', '--yes', '--dir', single, ...GATEWAY_ANSWERS]);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Recommended: Gateway/);
    expect(text.stdout).toContain('This project (mcp-arch.json) is single; for these answers the advice is gateway:');
    expect(text.stdout).toMatch(/- central auth\/rate limiting\/audit required \+ 4 tool domains -> gateway/);
    expect(text.stdout).toContain('Move it with: mcp-arch migrate --pattern gateway');

    const json = await run('mcpArch', ['recommend', '--yes', '--json', '--dir', single, ...GATEWAY_ANSWERS]);
    expect(json.exitCode, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.pattern).toBe('gateway');
    expect(parsed.migrate).toMatchObject({ from: 'single', pattern: 'gateway' });
    expect(parsed.migrate.command).toMatch(/^mcp-arch migrate --pattern gateway( --store [a-z]+)?$/);
    expect(parsed.migrate.reasons[0]).toMatch(/-> gateway/);
    // Advice writes nothing.
    expect(treeHash(single)).toBe(hash);
  });

  it('finds the project in the current folder, and names --store when the advice keeps sessions elsewhere', async () => {
    const json = await run(
      'mcpArch',
      ['recommend', '--yes', '--json', '--peak-rps', '2000', '--sessions', '5000', '--durability', 'survive-restarts'],
      { cwd: single },
    );
    expect(json.exitCode, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.pattern).not.toBe('single');
    expect(parsed.migrate.pattern).toBe(parsed.pattern);
    const store = parsed.store === 'memory' ? '' : ` --store ${parsed.store}`;
    expect(parsed.migrate.command).toBe(`mcp-arch migrate --pattern ${parsed.pattern}${store}`);
  });

  it("starts from the project's recorded answers and says when the project fits them", async () => {
    const dir = join(root, 'answered');
    await generate(dir, ['--pattern', 'single']);
    const manifest = JSON.parse(read(dir, 'mcp-arch.json'));
    // The answers a generation by the advisor records; none is given again on the command line.
    const recorded = await run('mcpArch', ['recommend', '--yes', '--json']);
    write(dir, 'mcp-arch.json', JSON.stringify({ ...manifest, answers: JSON.parse(recorded.stdout).answers }));
    const fits = await run('mcpArch', ['recommend', '--json', '--dir', dir]);
    expect(fits.exitCode, fits.stderr).toBe(0);
    expect(JSON.parse(fits.stdout)).toMatchObject({ pattern: 'single', migrate: null });
    const text = await run('mcpArch', ['recommend', '--dir', dir]);
    expect(text.stdout).toContain('This project (mcp-arch.json) is single: it fits the advice; nothing to migrate.');

    // A new answer over the recorded ones changes the advice.
    const changed = await run('mcpArch', ['recommend', '--json', '--dir', dir, ...GATEWAY_ANSWERS]);
    expect(JSON.parse(changed.stdout).migrate).toMatchObject({ from: 'single', pattern: 'gateway' });
  });

  it('the wizard started inside a generated project says the same', async () => {
    const hash = treeHash(single);
    const result = await run(
      'create',
      ['other', '--yes', '--dry-run', '--no-install', '--no-git', ...GATEWAY_ANSWERS],
      {
        cwd: single,
      },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('This project (mcp-arch.json) is single; for these answers the advice is gateway:');
    expect(result.stdout).toContain('Move it with: mcp-arch migrate --pattern gateway');
    expect(treeHash(single)).toBe(hash);
  });

  it('outside a project there is no migrate field; a --dir without mcp-arch.json is a usage error', async () => {
    const outside = await run('mcpArch', ['recommend', '--yes', '--json'], { cwd: root });
    expect(JSON.parse(outside.stdout)).not.toHaveProperty('migrate');
    const missing = await run('mcpArch', ['recommend', '--yes', '--dir', root]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('No mcp-arch.json');
  });
});
