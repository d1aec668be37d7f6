import { describe, expect, it } from 'vitest';
import { mayRepeat, refusal } from '../src/client/retry-rule.js';

const readOnly = { readOnlyHint: true };
const idempotent = { readOnlyHint: false, idempotentHint: true };
const writes = { readOnlyHint: false, idempotentHint: false, destructiveHint: false };

describe('which failed requests may be sent again to another region', () => {
  it('repeats anything that surely never reached the server, even under retry: never', () => {
    expect(mayRepeat({ method: 'tools/call', annotations: writes }, false)).toBe(true);
    expect(mayRepeat({ method: 'tools/call' }, false, 'never')).toBe(true);
  });

  it('repeats reads and read-only or idempotent tools that may have run', () => {
    for (const method of ['tools/list', 'resources/read', 'prompts/get', 'resources/templates/list']) expect(mayRepeat({ method }, true)).toBe(true);
    expect(mayRepeat({ method: 'tools/call', annotations: readOnly }, true)).toBe(true);
    expect(mayRepeat({ method: 'tools/call', annotations: idempotent }, true)).toBe(true);
  });

  it('never repeats a tool that may have run and is not safe to run twice, nor an unknown one', () => {
    expect(mayRepeat({ method: 'tools/call', annotations: writes }, true)).toBe(false);
    expect(mayRepeat({ method: 'tools/call', annotations: {} }, true)).toBe(false);
    expect(mayRepeat({ method: 'tools/call' }, true)).toBe(false);
    expect(mayRepeat({ method: 'resources/subscribe' }, true)).toBe(false);
    expect(refusal({ method: 'tools/call', annotations: writes }, 'safe')).toMatch(/not annotated readOnlyHint or idempotentHint/);
    expect(refusal({ method: 'tools/call' }, 'safe')).toMatch(/not listed by the server/);
  });

  it('follows the policy: always repeats everything, never repeats nothing that may have run', () => {
    expect(mayRepeat({ method: 'tools/call', annotations: writes }, true, 'always')).toBe(true);
    expect(mayRepeat({ method: 'tools/list' }, true, 'never')).toBe(false);
    expect(mayRepeat({ method: 'tools/call', annotations: readOnly }, true, 'never')).toBe(false);
    expect(refusal({ method: 'tools/list' }, 'never')).toBe('retries are off (retry: never)');
  });
});
