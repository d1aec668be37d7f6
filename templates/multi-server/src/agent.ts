import { runAgent } from './agent/cli.js';

// The one place the agent exits: after runAgent has closed every server session it opened.
const code = await runAgent(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
process.exit(code);
