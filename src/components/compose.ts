import type { Component } from './types.js';

/**
 * Docker Compose: the shared store, three replicas of the app and nginx in front of them
 * (`deploy/nginx/nginx.conf`: no cookie affinity, SSE unbuffered). Builds from the Dockerfile.
 */
export const compose: Component = {
  id: 'compose',
  templates: ['compose', 'nginx'],
  readme: 'readme-compose',
};
