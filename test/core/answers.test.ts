import { describe, expect, it } from 'vitest';
import { defaultAnswers, parseAnswer, questionFor, QUESTIONS } from '../../src/core/answers.js';

describe('questions', () => {
  it('have unique ids and flags and a default each', () => {
    expect(new Set(QUESTIONS.map((q) => q.id)).size).toBe(QUESTIONS.length);
    expect(new Set(QUESTIONS.map((q) => q.flag)).size).toBe(QUESTIONS.length);
    expect(Object.keys(defaultAnswers()).sort()).toEqual(QUESTIONS.map((q) => q.id).sort());
  });

  it('parse integers, booleans and choices from flags and files', () => {
    expect(parseAnswer(questionFor('domains'), '4', '--domains')).toBe(4);
    expect(parseAnswer(questionFor('domains'), 4, 'file')).toBe(4);
    expect(parseAnswer(questionFor('centralAuth'), 'yes', '--central-auth')).toBe(true);
    expect(parseAnswer(questionFor('centralAuth'), false, 'file')).toBe(false);
    expect(parseAnswer(questionFor('platform'), 'lambda', '--platform')).toBe('lambda');
  });

  it.each([
    ['domains', '0'],
    ['domains', '2.5'],
    ['domains', 'four'],
    ['domains', -1],
    ['peakRps', '1e3'],
    ['centralAuth', 'maybe'],
    ['platform', 'mainframe'],
    ['traffic', 3],
  ] as const)('rejects %s = %j with the source named', (id, raw) => {
    expect(() => parseAnswer(questionFor(id), raw, `--${questionFor(id).flag}`)).toThrow(
      new RegExp(`--${questionFor(id).flag}: expected`),
    );
  });
});
