import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { probeInputValidation } from '../live/input-validation.js';
import { APP_FILE, middlewareWiring, sources } from '../project.js';
import { balancedArgs, findAll, importsOf, isReferenced, sourceFile } from '../source.js';

export const securityInputValidation: Check = {
  item: checklistItem('security.input-validation'),
  live: probeInputValidation,
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];

    const wiring = await middlewareWiring(ctx, /body/i);
    const app = await sourceFile(ctx, APP_FILE);
    // Hono's own bodyLimit answers 413 by default, so importing it is as good as a local module.
    const builtin = app ? importsOf(app.code, (specifier) => specifier === 'hono/body-limit').flatMap((entry) => entry.names).some((name) => isReferenced(app.code, name)) : false;
    if (!builtin) {
      if (!wiring.module) {
        failures.push({ message: 'No body-size limit: a huge request body is read into memory', file: APP_FILE, remediation: `Add a body-limit middleware (src/middleware/body-limit.ts, 413 on oversized bodies) and app.use() it on /mcp in ${APP_FILE}.` });
      } else {
        if (!wiring.usedIn) failures.push({ message: `${wiring.module.file} is not used in ${APP_FILE}: bodies are not limited`, file: APP_FILE, remediation: `Import the body limit from ${wiring.module.file} and app.use() it on /mcp in ${APP_FILE}.` });
        if (!/\b413\b/.test(wiring.module.code) && !/bodyLimit/.test(wiring.module.code)) {
          failures.push({ message: `${wiring.module.file} never answers 413`, file: wiring.module.file, remediation: `Answer 413 Payload Too Large for oversized bodies in ${wiring.module.file}.` });
        }
      }
    }

    const code = await sources(ctx);
    const registrations = findAll(code, /\.registerTool\s*\(/);
    let withSchema = 0;
    for (const call of registrations) {
      const file = code.find((candidate) => candidate.file === call.file);
      const args = file ? (balancedArgs(file.code, file.code.indexOf('(', call.index)) ?? '') : '';
      const name = /^\s*(['"`])([^'"`]+)\1/.exec(args)?.[2] ?? 'a tool';
      if (/\binputSchema\s*[:,}]/.test(args)) withSchema++;
      else failures.push({ message: `Tool ${name} declares no inputSchema: its arguments reach the handler unvalidated`, file: call.file, line: call.line, remediation: `Give ${name} an inputSchema (zod) in ${call.file}; use an empty object schema for a tool without arguments.` });
    }
    for (const call of findAll(code, /\bserver\.tool\s*\(/)) {
      warnings.push({ message: 'server.tool() is deprecated in the SDK; registerTool() declares the input schema explicitly', file: call.file, line: call.line, remediation: `Use registerTool(name, { inputSchema, annotations }, handler) in ${call.file}.` });
    }
    if (registrations.length === 0 && findAll(code, /\bserver\.tool\s*\(/).length === 0) {
      failures.push({ message: 'No tool registrations (registerTool) found in src/: input validation cannot be shown', file: 'src/mcp/tools.ts', remediation: 'Register tools with registerTool(name, { inputSchema: <zod schema> }, handler) in src/mcp/tools.ts.' });
    }

    return conclude(`Request bodies are size-limited and ${withSchema} tool${withSchema === 1 ? '' : 's'} declare zod input schemas`, { failures, warnings });
  },
};
