import type { ComposeContribution } from './deploy.js';
import type { Component } from './types.js';

/** The collector's configuration in the generated project (Compose mounts it; a cluster's collector can use it). */
export const COLLECTOR_CONFIG = 'deploy/otel/collector.yaml';

/** The port the collector receives OTLP/HTTP on, the one the tracing code exports to. */
export const OTLP_HTTP_PORT = 4318;

/** The collector's service in compose.yaml, and where the app's instances send spans there. */
export const COMPOSE_COLLECTOR = {
  name: 'otel-collector',
  image: 'otel/opentelemetry-collector:0.116.0',
  endpoint: `http://otel-collector:${OTLP_HTTP_PORT}`,
};

/** The collector Service the Kubernetes deployment sends spans to: one per cluster, in the `observability` namespace. */
export const K8S_COLLECTOR = {
  service: 'otel-collector',
  namespace: 'observability',
  endpoint: `http://otel-collector.observability.svc.cluster.local:${OTLP_HTTP_PORT}`,
};

/** Deploy targets that run long-lived instances a collector can sit beside. */
export const TRACING_TARGETS = ['compose', 'k8s'] as const;

function collectorCompose(): ComposeContribution {
  return {
    services: {
      [COMPOSE_COLLECTOR.name]: {
        label: 'OpenTelemetry collector',
        comment: `Receives the instances' spans over OTLP/HTTP (${COLLECTOR_CONFIG}: where it sends them).`,
        service: {
          image: COMPOSE_COLLECTOR.image,
          restart: 'unless-stopped',
          command: ['--config=/etc/otelcol/config.yaml'],
          volumes: [`./${COLLECTOR_CONFIG}:/etc/otelcol/config.yaml:ro`],
          read_only: true,
        },
      },
    },
  };
}

/**
 * Deployed tracing: an OpenTelemetry collector beside the app and OTEL_EXPORTER_OTLP_ENDPOINT
 * set where the app is deployed (the deployed settings: compose.yaml's environment, the
 * Kubernetes ConfigMap). The tracing code itself is in every project and is on whenever the
 * variable is set.
 */
export const tracing: Component = {
  id: 'tracing',
  templates: ['tracing'],
  readme: 'readme-tracing',
  deploy: { compose: collectorCompose },
  layout: {
    'deploy/otel/': "the OpenTelemetry collector's configuration: receives OTLP/HTTP, exports the spans",
  },
};
