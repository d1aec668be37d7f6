import { MANIFEST_FILE } from '../../core/manifest.js';
import { checklistItem, conclude, type Check, type Finding } from '../check.js';
import { samSecretFindings, samTemplate } from '../sam.js';
import { probeAuthentication } from '../live/authentication.js';
import { APP_FILE, ENV_EXAMPLE, configuredValues, envExample, middlewareWiring, sources } from '../project.js';
import { balancedArgs, findAll, findFirst } from '../source.js';

export const securityAuthentication: Check = {
  item: checklistItem('security.authentication'),
  live: probeAuthentication,
  async static(ctx) {
    const failures: Finding[] = [];
    const warnings: Finding[] = [];
    const env = await envExample(ctx);
    const mode = env?.get('AUTH_MODE');
    if (!mode) {
      failures.push({ message: `AUTH_MODE is not listed in ${ENV_EXAMPLE}`, file: ENV_EXAMPLE, remediation: `Add AUTH_MODE=apikey (or jwt) to ${ENV_EXAMPLE}.` });
    } else if (mode.value === '' || mode.value === 'none') {
      failures.push({ message: `AUTH_MODE in ${ENV_EXAMPLE} is "${mode.value || 'empty'}": anyone who reaches the server can call its tools`, file: ENV_EXAMPLE, line: mode.line, remediation: `Set AUTH_MODE=apikey (with API_KEYS) or AUTH_MODE=jwt (with JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE) in ${ENV_EXAMPLE}.` });
    }
    if (ctx.manifest.authMode === 'none') {
      failures.push({ message: `"authMode" in ${MANIFEST_FILE} is none`, file: MANIFEST_FILE, line: await ctx.lineOf(MANIFEST_FILE, '"authMode"'), remediation: 'Regenerate with --auth apikey or jwt, or set AUTH_MODE and "authMode" accordingly.' });
    }
    for (const setting of await configuredValues(ctx, 'AUTH_MODE')) {
      if (setting.value === 'none') {
        failures.push({ message: `AUTH_MODE is none in ${setting.file}`, file: setting.file, line: setting.line, remediation: `Set AUTH_MODE to apikey or jwt in ${setting.file}.` });
      }
    }
    const keys = env?.get('API_KEYS');
    if (keys && keys.value !== '') {
      warnings.push({ message: `${ENV_EXAMPLE} ships a value for API_KEYS: copied example files end up in real deployments`, file: ENV_EXAMPLE, line: keys.line, remediation: `Leave API_KEYS empty in ${ENV_EXAMPLE}; provide keys from a secret store.` });
    }

    const code = await sources(ctx);
    const noneDefault = findFirst(code, /AUTH_MODE[^\n;]*(?:\?\?|\|\|)\s*['"]none['"]|AUTH_MODE[^\n]*\.default\(\s*['"]none['"]\s*\)/);
    if (noneDefault) {
      failures.push({ message: 'AUTH_MODE defaults to none in code when unset', file: noneDefault.file, line: noneDefault.line, remediation: `Default AUTH_MODE to apikey (refusing to start without API_KEYS) in ${noneDefault.file}.` });
    }

    const wiring = await middlewareWiring(ctx, /auth/i);
    if (!wiring.module) {
      failures.push({ message: 'No authentication middleware in src/middleware/', file: 'src/middleware/auth.ts', remediation: 'Add src/middleware/auth.ts (API keys or JWT via JWKS, 401 with WWW-Authenticate) and use it on /mcp in src/app.ts.' });
    } else {
      const { file, code: authCode } = wiring.module;
      if (!wiring.usedIn) {
        failures.push({ message: `${file} is not used in ${APP_FILE}: requests reach the tools unauthenticated`, file: APP_FILE, remediation: `Import the auth middleware from ${file} and app.use() it on the /mcp route in ${APP_FILE}.` });
      }
      if (!/\b401\b/.test(authCode)) {
        failures.push({ message: `${file} never answers 401`, file, remediation: `Reject missing or invalid credentials with 401 in ${file}.` });
      }
      if (!/www-authenticate/i.test(authCode)) {
        failures.push({ message: `${file} sends no WWW-Authenticate header: MCP clients cannot discover how to authenticate`, file, remediation: `Send WWW-Authenticate (Bearer, with resource_metadata for JWT) with every 401 in ${file}.` });
      }
    }
    for (const call of findAll(code, /\bjwtVerify\s*\(/)) {
      const callCode = code.find((candidate) => candidate.file === call.file)?.code ?? '';
      const args = balancedArgs(callCode, callCode.indexOf('(', call.index)) ?? '';
      for (const claim of ['audience', 'issuer']) {
        if (!new RegExp(`\\b${claim}\\b`).test(args)) {
          failures.push({ message: `jwtVerify does not check the token ${claim}: tokens minted for other services are accepted`, file: call.file, line: call.line, remediation: `Pass ${claim} (from JWT_${claim === 'audience' ? 'AUDIENCE' : 'ISSUER'}) to jwtVerify in ${call.file}.` });
        }
      }
    }

    const sam = await samTemplate(ctx);
    if (sam) failures.push(...samSecretFindings(sam));
    return conclude(`Authentication wired in ${APP_FILE}, AUTH_MODE defaults to ${mode?.value || '?'}; 401 carries WWW-Authenticate`, { failures, warnings });
  },
};
