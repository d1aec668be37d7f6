import { createMain } from './create-program.js';
import { runCli } from './run.js';

await runCli(createMain(process.argv.slice(2)));
