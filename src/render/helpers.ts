import type { HelperDelegate } from 'handlebars';

/** Helpers available to every template. Small and pure; templates stay logic-light. */
export const helpers: Record<string, HelperDelegate> = {
  eq: (a: unknown, b: unknown) => a === b,
  includes: (list: unknown, value: unknown) => Array.isArray(list) && list.includes(value),
  json: (value: unknown) => JSON.stringify(value, null, 2),
  join: (list: unknown, separator: unknown) => (Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ', ') : ''),
  upper: (value: unknown) => String(value).toUpperCase(),
  /** For dynamic partials named by data: `{{> (string this)}}`. */
  string: (value: unknown) => String(value),
};
