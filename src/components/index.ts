import type { AuthMode, DeployTarget } from '../core/ids.js';
import { authJwt } from './auth-jwt.js';
import { compose } from './compose.js';
import { docker } from './docker.js';
import { k8s } from './k8s.js';
import { lambda } from './lambda.js';
import type { Component } from './types.js';
import { vercel } from './vercel.js';

export type { Component, EnvVar } from './types.js';

/** Components contributed by deploy targets, whatever the pattern. */
export const DEPLOY_COMPONENTS: Partial<Record<DeployTarget, Component>> = {
  docker,
  compose,
  k8s,
  lambda,
  vercel,
};

/** Components contributed by the session store; memory needs none, so those projects carry no store clients. */
export { storeComponents } from './store.js';

/** The deployed collector, when tracing is on (`tracing` in the options). */
export { tracing, TRACING_TARGETS } from './tracing.js';

/** Components contributed by the client authentication mode. */
export const AUTH_COMPONENTS: Partial<Record<AuthMode, Component>> = {
  jwt: authJwt,
};
