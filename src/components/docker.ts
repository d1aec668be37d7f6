import type { Component } from './types.js';

/** Multi-stage, non-root container image with a HEALTHCHECK. */
export const docker: Component = {
  id: 'docker',
  templates: ['docker'],
  layout: {
    Dockerfile: 'multi-stage, non-root image with a HEALTHCHECK',
  },
};
