// The example backend over stdio: one process is one connection, of either protocol era (the SDK
// answers a 2026-07-28 client's `server/discover` and a 2025 client's `initialize` alike).
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { createBackend } from './backend.mjs';

serveStdio(() => createBackend(process.env.BACKEND_NAME ?? 'stdio'));
// The gateway ends a connection by closing stdin: exit then, so no process outlives it.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
