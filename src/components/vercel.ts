import type { Component } from './types.js';

/** A Vercel function (`api/mcp.ts`) serving the same app, configured by `vercel.json`. */
export const vercel: Component = {
  id: 'vercel',
  templates: ['vercel'],
};
