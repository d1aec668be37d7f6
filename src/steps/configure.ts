import { generatablePatterns, supportFor } from '../core/compat.js';
import { UserError } from '../core/errors.js';
import {
  AUTH_MODES,
  PROTOCOL_POSTURES,
  type AuthMode,
  type DeployTarget,
  type ProtocolPosture,
  type SessionMode,
  type StoreId,
} from '../core/ids.js';
import { PATTERNS } from '../core/patterns.js';
import { deployableOn, deployFor } from '../core/recommend.js';
import type { Context } from './context.js';

const AUTH_LABELS: Record<AuthMode, string> = {
  apikey: 'API keys (Authorization: Bearer <key>)',
  jwt: 'JWT from your authorization server (JWKS, issuer and audience checked)',
  none: 'none (local development only)',
};

/**
 * The project options after the pattern: deploy targets, store, session mode and auth.
 * A default comes from the recommendation where the answers imply one (the deploy targets from
 * the platform answered, the store from the durability); an option with a single possible value
 * is settled without asking. Deploy targets are settled first, so a store is only offered when it
 * can serve them: choosing a store never drops a target silently.
 */
export async function configure(
  ctx: Pick<
    Context,
    'options' | 'answers' | 'recommendation' | 'interactive' | 'yes' | 'prompt' | 'name' | 'project' | 'output'
  >,
): Promise<void> {
  const pattern = ctx.options.pattern;
  if (pattern === undefined) {
    if (ctx.yes) ctx.options.pattern = 'single';
    else
      throw new UserError(
        `Missing --pattern: pass one of ${generatablePatterns().join(', ')}, answer the advisor questions, or pass --yes.`,
      );
  }
  const id = ctx.options.pattern!;
  const catalog = PATTERNS[id];
  const support = supportFor(id);
  const rec = ctx.recommendation?.pattern === id ? ctx.recommendation : undefined;
  const missing: string[] = [];

  // Three Kubernetes replicas need a shared store: memory and k8s never go together.
  const shared = support.stores.filter((s) => s !== 'memory');
  // With --pattern the advisor does not run, but a --platform given still chooses the targets.
  const platform = ctx.answers.platform;
  const platformDeploy = rec?.deploy ?? (platform !== undefined ? deployFor(id, platform) : undefined);
  const recDeploy = platformDeploy?.filter((t) => support.deploy.includes(t));
  const defaultDeploy =
    recDeploy && recDeploy.length > 0 ? recDeploy : catalog.defaultDeploy.filter((t) => support.deploy.includes(t));
  if (!rec && platform !== undefined && ctx.options.deploy === undefined && !deployableOn(id, platform)) {
    ctx.output.info(
      `The ${id} pattern cannot deploy on --platform ${platform}: its own targets (${defaultDeploy.join(', ')}) are the default instead. ` +
        `Choose a --pattern that runs there, or another --platform.\n`,
    );
  }
  let deploy = ctx.options.deploy;
  if (deploy === undefined) {
    if (support.deploy.length === 1) deploy = [...support.deploy];
    else if (ctx.yes) deploy = defaultDeploy;
    else if (ctx.interactive) {
      const withoutK8s = ctx.options.store === 'memory' && shared.length > 0;
      if (withoutK8s && support.deploy.includes('k8s')) {
        ctx.output.info(
          `k8s is not offered: it runs three replicas, and --store memory keeps each session in one of them. Pass --store ${shared.join(' or --store ')} to deploy on k8s.\n`,
        );
      }
      const offered = withoutK8s ? support.deploy.filter((t) => t !== 'k8s') : support.deploy;
      deploy = await ctx.prompt.checkbox<DeployTarget>({
        message: 'Deployment targets?',
        choices: offered.map((t) => ({ value: t, name: t, checked: defaultDeploy.includes(t) })),
      });
    } else if (recDeploy && recDeploy.length > 0) deploy = recDeploy;
    else missing.push('--deploy');
  }

  const storeChoices = deploy?.includes('k8s') && shared.length > 0 ? shared : support.stores;
  const recStore = rec && storeChoices.includes(rec.store) ? rec.store : undefined;
  const store = await settle<StoreId>(
    ctx,
    ctx.options.store,
    storeChoices,
    recStore ?? storeChoices[0]!,
    recStore !== undefined,
    '--store',
    missing,
    (choices, def) =>
      ctx.prompt.select({
        message: 'Session store?',
        choices: choices.map((s) => ({ value: s, name: s })),
        default: def,
      }),
  );
  const sessionMode = await settle<SessionMode>(
    ctx,
    ctx.options.sessionMode,
    catalog.sessionModes,
    rec?.sessionMode ?? catalog.sessionModes[0]!,
    rec !== undefined,
    '--session-mode',
    missing,
    (choices, def) =>
      ctx.prompt.select({
        message: 'Session mode?',
        choices: choices.map((m) => ({
          value: m,
          name:
            m === 'stateless'
              ? 'stateless (any replica serves any request)'
              : 'stateful (sessions for server-to-client features)',
        })),
        default: def,
      }),
  );
  // The sessionful leg serves 2025-era clients, so it comes with both eras; `dual` is the default posture.
  const protocol = await settle<ProtocolPosture>(
    ctx,
    // The advisor's clients question already chose it.
    ctx.options.protocol ?? rec?.protocol,
    sessionMode === 'stateful' ? ['dual'] : PROTOCOL_POSTURES,
    rec?.protocol ?? 'dual',
    true,
    '--protocol',
    missing,
    (choices, def) =>
      ctx.prompt.select({
        message: 'Which MCP clients does it serve?',
        choices: choices.map((p) => ({ value: p, name: PROTOCOL_LABELS[p] })),
        default: def,
      }),
  );
  const authMode = await settle<AuthMode>(
    ctx,
    ctx.options.authMode,
    AUTH_MODES,
    'apikey',
    false,
    '--auth',
    missing,
    (choices, def) =>
      ctx.prompt.select({
        message: 'Client authentication?',
        choices: choices.map((m) => ({ value: m, name: AUTH_LABELS[m] })),
        default: def,
      }),
  );

  if (missing.length > 0) {
    throw new UserError(
      `Missing options for the ${id} pattern: ${missing.join(', ')}. Pass them, put them in an --answers file, or pass --yes to accept the defaults.`,
    );
  }
  ctx.project = {
    name: ctx.name!,
    pattern: id,
    store: store!,
    sessionMode: sessionMode!,
    protocol: protocol!,
    authMode: authMode!,
    deploy: deploy!,
    // Deployed tracing has no flag: it comes from an answers file (or mcp-arch add tracing later).
    ...(ctx.options.tracing ? { tracing: true } : {}),
  };
}

const PROTOCOL_LABELS: Record<ProtocolPosture, string> = {
  dual: 'dual: MCP 2026-07-28 and 2025-era clients on one endpoint',
  modern: 'modern: MCP 2026-07-28 only (2025-era clients are refused)',
};

async function settle<T>(
  ctx: Pick<Context, 'interactive' | 'yes'>,
  given: T | undefined,
  choices: readonly T[],
  fallback: T,
  implied: boolean,
  flag: string,
  missing: string[],
  ask: (choices: T[], def: T) => Promise<T>,
): Promise<T | undefined> {
  if (given !== undefined) return given;
  if (choices.length === 1) return choices[0];
  if (ctx.yes) return fallback;
  if (ctx.interactive) return ask([...choices], fallback);
  if (implied) return fallback;
  missing.push(flag);
  return undefined;
}
