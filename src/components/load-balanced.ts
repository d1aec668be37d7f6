import type { Component } from './types.js';

/**
 * The load-balanced pattern: the base server run as several replicas behind a load balancer.
 * Stateless by default; in the stateful profile the base transport keeps each session's record
 * (with its initialize request) in the shared store, so any replica continues any session, and
 * rate limits are shared through the store (Redis, or the database's own table). Its tests run
 * three replicas against one store.
 */
export const loadBalanced: Component = {
  id: 'load-balanced',
  templates: ['load-balanced'],
  readme: 'readme-load-balanced',
  layout: {
    'test/replicas.test.ts': 'three replicas sharing one store',
  },
};
