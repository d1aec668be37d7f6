import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { CHECK_CATEGORIES } from '../../src/core/ids.js';
import { parseVerifyOptions, type VerifyRequest } from '../../src/verify/options.js';

/** The UserError a request is refused with. */
function refusal(request: VerifyRequest): UserError {
  try {
    parseVerifyOptions(request);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(request)}`);
}

describe('parseVerifyOptions', () => {
  it('resolves the project directory against cwd and turns nothing else on', () => {
    expect(parseVerifyOptions({ dir: 'app', cwd: '/work/x' })).toEqual({
      dir: path.resolve('/work/x/app'),
      live: false,
      headers: {},
      format: 'pretty',
    });
    expect(parseVerifyOptions({ cwd: '/work/x' }).dir).toBe(path.resolve('/work/x'));
  });

  it('accepts the checklist suite and nothing else', () => {
    expect(parseVerifyOptions({ suite: 'checklist', cwd: '/p' }).dir).toBe(path.resolve('/p'));
    const error = refusal({ suite: 'checklsit', cwd: '/p' });
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('"checklsit"');
    expect(error.message).toContain('mcp-arch verify checklist');
  });

  it('takes categories repeated or comma-separated, once each', () => {
    expect(parseVerifyOptions({ only: ['security, resilience', 'security'] }).only).toEqual(['security', 'resilience']);
    expect(parseVerifyOptions({ only: [] }).only).toBeUndefined();
  });

  it('names an unknown category and lists the ones that exist', () => {
    const error = refusal({ only: ['security,speed'] });
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`--only speed is not a checklist category. Use one of: ${CHECK_CATEGORIES.join(', ')}.`);
  });

  it('parses --url, which turns live probes on', () => {
    const options = parseVerifyOptions({ url: 'https://mcp.example.com/mcp' });
    expect(options.url?.href).toBe('https://mcp.example.com/mcp');
    expect(options.live).toBe(true);
  });

  it.each([
    ['not a url', /--url not a url is not a URL.*--url http:\/\/127\.0\.0\.1:3000/],
    ['ftp://example.com', /--url ftp:\/\/example\.com must be http:\/\/ or https:\/\//],
  ])('refuses --url %s', (url, message) => {
    const error = refusal({ url });
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(message);
  });

  it('reads --header lines as name: value, keeping colons in the value', () => {
    const options = parseVerifyOptions({ live: true, headers: ['Authorization: Bearer a:b', 'X-Api-Key:k'] });
    expect(options.headers).toEqual({ Authorization: 'Bearer a:b', 'X-Api-Key': 'k' });
  });

  it.each([
    ['no-colon-here', /--header "no-colon-here": expected name:value/],
    [': value', /expected name:value/],
    ['Bad Name: x', /--header "Bad Name" is not a valid header name/],
  ])('refuses the header line %j', (line, message) => {
    const error = refusal({ url: 'http://127.0.0.1:3000', headers: [line] });
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(message);
  });

  it('refuses a header value that spans lines, given as a record', () => {
    expect(refusal({ live: true, headers: { authorization: 'Bearer x\r\nX-Admin: 1' } }).message).toBe(
      '--header authorization: the value must be a single line.',
    );
  });

  it('refuses headers when nothing is probed, since they would be ignored', () => {
    const error = refusal({ headers: ['Authorization: Bearer x'] });
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/--header is sent with live probes only: pass --url .* or --live/);
  });

  it('gives a validated result back unchanged', () => {
    const once = parseVerifyOptions({
      dir: 'app',
      cwd: '/p',
      only: ['security'],
      url: 'http://127.0.0.1:3000',
      headers: ['a: b'],
    });
    expect(parseVerifyOptions(once)).toEqual(once);
  });
});
