import { describe, expect, it } from 'vitest';
import { check, messages, project, replaceInSources, unwire } from './helpers.js';

const ID = 'observability.structured-logging';

describe(ID, () => {
  it('passes with pino, redaction and request ids', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails a logger without redaction', async () => {
    const target = await project();
    await replaceInSources(target, /\bredact\b/, 'hidden');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('no redact option');
  });

  it('fails a redact list that misses the Authorization header', async () => {
    const target = await project();
    await replaceInSources(target, /authorization/i, 'x-other');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('Authorization header');
  });

  it('fails without pino', async () => {
    const target = await project();
    await replaceInSources(target, /from\s+['"]pino['"]/, "from 'loglevel'");
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('No pino logger');
  });

  it('fails when the app assigns no request id', async () => {
    const target = await project();
    await unwire(target, 'request-id');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('request-id');
  });

  it('warns about console output', async () => {
    const target = await project();
    await target.edit('src/app.ts', (text) => `${text}\nconsole.log('started');\n`);
    const result = await check(target, ID);
    expect(result.status).toBe('warn');
    expect(result.findings[0]).toMatchObject({ file: 'src/app.ts' });
  });
});
