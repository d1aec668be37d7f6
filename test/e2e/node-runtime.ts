export { nodeBinDir } from '../../scripts/node-runtime.mjs';

/** Environment that runs `node` and `npm` of the given bin directory first. */
export function envWithNode(bin: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    PATH: `${bin}:${process.env.PATH}`,
    CI: 'true',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
    ...extra,
  };
}
