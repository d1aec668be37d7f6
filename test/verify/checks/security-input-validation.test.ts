import { describe, expect, it } from 'vitest';
import { check, messages, project, replaceInSources, unwire } from './helpers.js';

const ID = 'security.input-validation';

describe(ID, () => {
  it('passes with a body limit and tools that declare input schemas', async () => {
    const result = await check(await project(), ID);
    expect(result.status, messages(result)).toBe('pass');
  });

  it('fails without a body limit in the app', async () => {
    const target = await project();
    await unwire(target, 'body-limit');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(/body/i);
  });

  it("passes a gateway, whose tools are its backends', with a body limit", async () => {
    const result = await check(await project({ pattern: 'gateway' }), ID);
    expect(result.status, messages(result)).toBe('pass');
    expect(result.summary).toMatch(/backends' own/);
  });

  it('fails a gateway without a body limit', async () => {
    const target = await project({ pattern: 'gateway' });
    await unwire(target, 'body-limit');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(/body/i);
  });

  it('fails a server that registers no tools', async () => {
    const target = await project();
    await replaceInSources(target, /\.registerTool\s*\(/g, '.registerLater(');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toMatch(/No tool registrations/);
  });

  it('fails a tool without an input schema', async () => {
    const target = await project();
    const [file] = await replaceInSources(target, /\binputSchema\s*:/, 'outputHint:');
    const result = await check(target, ID);
    expect(result.status).toBe('fail');
    expect(messages(result)).toContain('declares no inputSchema');
    expect(result.findings[0]?.file).toBe(file);
    expect(result.findings[0]?.line).toBeGreaterThan(0);
  });
});
