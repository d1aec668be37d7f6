import type { Component } from './types.js';

/**
 * The serverless pattern: the base app served by functions instead of a long-lived process.
 * `src/serverless/` builds the app once per function instance (JWKS cache, MCP layer) and
 * answers each invocation statelessly. Each platform's adapter comes with its deploy target
 * (lambda, vercel), so a project holds the adapters of its own platforms only. The Node entry
 * of the base stays, for local development.
 */
export const serverless: Component = {
  id: 'serverless',
  templates: ['serverless'],
  readme: 'readme-serverless',
  env: [
    {
      name: 'FUNCTION_TIMEOUT_SECONDS',
      default: '',
      description:
        'Serverless: the function timeout (template.yaml passes its Timeout; Vercel defaults to the maxDuration of vercel.json). Tool calls are bounded below it',
    },
  ],
  layout: {
    'src/serverless/': 'the app built once per function instance, and the adapter of each platform',
  },
};
