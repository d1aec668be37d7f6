import type { DeployTarget, PatternId, StoreId } from '../core/ids.js';
import { base } from './base.js';
import { docker } from './docker.js';
import { store } from './store.js';
import type { Component } from './types.js';

export type { Component, EnvVar } from './types.js';

/** What this version can generate for a pattern: its components and the options it supports. */
export interface PatternSupport {
  components: Component[];
  stores: readonly StoreId[];
  deploy: readonly DeployTarget[];
}

/** Patterns this version generates. A pattern missing here is advised on but not generated. */
export const GENERATORS: Partial<Record<PatternId, PatternSupport>> = {
  single: { components: [base], stores: ['memory', 'database'], deploy: ['docker'] },
};

/** Components contributed by deploy targets, whatever the pattern. */
export const DEPLOY_COMPONENTS: Partial<Record<DeployTarget, Component>> = {
  docker,
};

/** Components contributed by the session store; memory needs none, so those projects carry no store clients. */
export const STORE_COMPONENTS: Partial<Record<StoreId, Component>> = {
  redis: store,
  database: store,
  hybrid: store,
};
