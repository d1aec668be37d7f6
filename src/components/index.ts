import type { DeployTarget, PatternId, StoreId } from '../core/ids.js';
import { aggregation } from './aggregation.js';
import { base } from './base.js';
import { compose } from './compose.js';
import { docker } from './docker.js';
import { gateway } from './gateway.js';
import { k8s } from './k8s.js';
import { lambda } from './lambda.js';
import { loadBalanced } from './load-balanced.js';
import { k8sRegions, multiRegion } from './multi-region.js';
import { multiServer } from './multi-server.js';
import { serverless } from './serverless.js';
import { store } from './store.js';
import type { Component } from './types.js';
import { vercel } from './vercel.js';

export type { Component, EnvVar } from './types.js';

/** What this version can generate for a pattern: its components and the options it supports. */
export interface PatternSupport {
  components: Component[];
  stores: readonly StoreId[];
  deploy: readonly DeployTarget[];
  /** Components the pattern adds for a deploy target, after the target's own (e.g. per-region overlays on the k8s base). */
  deployComponents?: Partial<Record<DeployTarget, Component[]>>;
}

/** Patterns this version generates. A pattern missing here is advised on but not generated. */
export const GENERATORS: Partial<Record<PatternId, PatternSupport>> = {
  single: { components: [base], stores: ['memory', 'database'], deploy: ['docker'] },
  'load-balanced': { components: [base, loadBalanced], stores: ['redis', 'database', 'hybrid'], deploy: ['docker', 'compose', 'k8s'] },
  gateway: { components: [base, aggregation, gateway], stores: ['memory', 'redis'], deploy: ['docker', 'compose', 'k8s'] },
  'multi-server': { components: [base, aggregation, multiServer], stores: ['memory'], deploy: ['docker'] },
  'multi-region': {
    components: [base, multiRegion],
    stores: ['database', 'hybrid'],
    deploy: ['docker', 'k8s'],
    deployComponents: { k8s: [k8sRegions] },
  },
  serverless: { components: [base, serverless], stores: ['memory'], deploy: ['lambda', 'vercel'] },
};

/** Components contributed by deploy targets, whatever the pattern. */
export const DEPLOY_COMPONENTS: Partial<Record<DeployTarget, Component>> = {
  docker,
  compose,
  k8s,
  lambda,
  vercel,
};

/** Components contributed by the session store; memory needs none, so those projects carry no store clients. */
export const STORE_COMPONENTS: Partial<Record<StoreId, Component>> = {
  redis: store,
  database: store,
  hybrid: store,
};
