// The example backend over stdio: one process is one MCP session.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createBackend } from './backend.mjs';

const server = createBackend(process.env.BACKEND_NAME ?? 'stdio');
await server.connect(new StdioServerTransport());
// The gateway ends a session by closing stdin: exit then, so no process outlives its session.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
