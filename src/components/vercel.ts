import type { Component } from './types.js';

/** A Vercel function (`api/mcp.ts` over the adapter in `src/serverless/vercel.ts`) serving the same app, configured by `vercel.json`. */
export const vercel: Component = {
  id: 'vercel',
  templates: ['vercel'],
  layout: {
    'api/mcp.ts': 'the Vercel function',
    'src/serverless/vercel.ts': 'the Vercel adapter: web Requests to the app',
    'vercel.json': 'routes, function duration',
  },
};
