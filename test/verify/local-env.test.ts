import { describe, expect, it } from 'vitest';
import { renderProject } from '../render/rendered.js';
import { inheritedEnvironment } from '../../src/verify/runtime/local.js';

/** `verify --live` keeps the caller's settings of the project's own variables out of the server it starts. */
describe('the environment of a server verify starts', () => {
  it("leaves out every variable of the project's registry, as its manifest lists them", () => {
    const { blueprint } = renderProject({
      name: 'gw',
      pattern: 'gateway',
      store: 'memory',
      deploy: ['docker'],
      authMode: 'apikey',
      sessionMode: 'stateless',
      protocol: 'dual',
    });
    const env = blueprint.manifest.env!;
    expect(env).toEqual(expect.arrayContaining(['AUTH_MODE', 'SESSION_MODE', 'MCP_PROTOCOL', 'GATEWAY_CONFIG']));
    const caller = { PATH: '/usr/bin', HOME: '/root', ENV_FILE: '.env', NODE_ENV: 'development' };
    for (const name of env) Object.assign(caller, { [name]: 'from the shell' });
    expect(inheritedEnvironment(blueprint.manifest, caller)).toEqual({ PATH: '/usr/bin', HOME: '/root' });
  });

  it('falls back to the variables every project reads when an older manifest does not list them', () => {
    const inherited = inheritedEnvironment(
      {},
      { PATH: '/usr/bin', AUTH_MODE: 'none', API_KEYS: 'k', NODE_ENV: 'test' },
    );
    expect(inherited).toEqual({ PATH: '/usr/bin' });
  });
});
