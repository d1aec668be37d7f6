import { createVercelHandler } from '../src/serverless/vercel.js';

/**
 * The Vercel function: every method of /mcp (and /health, /ready, /metrics, through the
 * rewrites of vercel.json) reaches the same app as the Node server and Lambda. Created when the
 * module loads, so an instance builds the app once and reuses it across requests.
 */
const handler = createVercelHandler(process.env);

export { handler as DELETE, handler as GET, handler as OPTIONS, handler as POST };
