import type {
  AuthMode,
  DeployTarget,
  PackageManager,
  PatternId,
  ProtocolPosture,
  SessionMode,
  StoreId,
} from './ids.js';

/** What is generated, once every question is answered. Validated by `compat.ts`. */
export interface ProjectOptions {
  name: string;
  pattern: PatternId;
  store: StoreId;
  deploy: DeployTarget[];
  authMode: AuthMode;
  /** Session mode of the 2025-era leg; `stateful` needs the `dual` posture. */
  sessionMode: SessionMode;
  protocol: ProtocolPosture;
  /** Deploy an OpenTelemetry collector beside the app (an answers-file option; `mcp-arch add tracing`). */
  tracing?: boolean;
}

/** How it is generated: side effects after the plan. */
export interface RunOptions {
  install: boolean;
  git: boolean;
  pm: PackageManager;
  dryRun: boolean;
  json: boolean;
}
