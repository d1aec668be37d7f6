import { mcpArchMain } from './mcp-arch-program.js';
import { runCli } from './run.js';

await runCli(mcpArchMain(process.argv.slice(2)));
