import type { HelperDelegate } from 'handlebars';

/** Helpers available to every template. Small and pure; templates stay logic-light. */
export const helpers: Record<string, HelperDelegate> = {
  eq: (a: unknown, b: unknown) => a === b,
  includes: (list: unknown, value: unknown) => Array.isArray(list) && list.includes(value),
  json: (value: unknown) => JSON.stringify(value, null, 2),
  /** JSON on one line, for a value inside a line of code. */
  inline: (value: unknown) => JSON.stringify(value),
  join: (list: unknown, separator: unknown) =>
    Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : '',
  upper: (value: unknown) => String(value).toUpperCase(),
  /** A column of a plain-text table: the value and at least one space, up to `width` characters. */
  pad: (value: unknown, width: unknown) => `${String(value)} `.padEnd(typeof width === 'number' ? width : 0),
  /** For dynamic partials named by data: `{{> (string this)}}`. */
  string: (value: unknown) => String(value),
};
