import type { AuthMode, DeployTarget, PackageManager, PatternId, SessionMode, StoreId } from './ids.js';

/** What is generated, once every question is answered. Validated by `compat.ts`. */
export interface ProjectOptions {
  name: string;
  pattern: PatternId;
  store: StoreId;
  deploy: DeployTarget[];
  authMode: AuthMode;
  sessionMode: SessionMode;
}

/** How it is generated: side effects after the plan. */
export interface RunOptions {
  install: boolean;
  git: boolean;
  pm: PackageManager;
  dryRun: boolean;
  json: boolean;
}
