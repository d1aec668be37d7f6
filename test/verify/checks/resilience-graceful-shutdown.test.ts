import { describe, expect, it } from 'vitest';
import { check, messages, project, replaceInSources } from './helpers.js';

const ID = 'resilience.graceful-shutdown';

describe(ID, () => {
  it('passes with a draining SIGTERM handler and an exec-form CMD', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails without a SIGTERM handler', async () => {
    const target = await project();
    await replaceInSources(target, /SIGTERM/, 'SIGUSR2');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('No SIGTERM handler');
  });

  it('fails a handler that exits without draining', async () => {
    const target = await project();
    await target.edit(
      'src/index.ts',
      (text) =>
        text.replace(/process\s*\.\s*(on|once)\s*\(/g, 'ignored.$1(') +
        "\nprocess.on('SIGTERM', () => process.exit(0));\n",
    );
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('exits without draining');
  });

  it('fails a shell-form Dockerfile CMD', async () => {
    const target = await project();
    await target.edit('Dockerfile', (text) => text.replace(/^CMD\s+\[.*\]\s*$/m, 'CMD node dist/index.js'));
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(result.findings[0]).toMatchObject({ file: 'Dockerfile' });
    expect(messages(result)).toContain('shell form');
  });

  it('fails a drain that never closes the server', async () => {
    const target = await project();
    await replaceInSources(target, /\.close\s*\(/, '.ref(');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('The server is never closed');
  });
});
