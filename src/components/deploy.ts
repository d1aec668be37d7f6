import type { Instances, PatternOptions } from '../patterns/types.js';
import type { YamlFile } from '../render/yaml.js';
import type { EnvVar } from './types.js';

/** What a component's deploy contributions are computed from: the project and its instance count. */
export interface DeployContext {
  name: string;
  title: string;
  port: number;
  options: PatternOptions;
  /** Computed once from the pattern definition. */
  instances: Instances;
  /** The project's variables (the registry with this project's values): which are secret, which are required. */
  env: readonly EnvVar[];
}

/** A Compose service as plain data (the Compose specification's keys). */
export type ComposeService = Record<string, unknown>;

/**
 * What a component adds to `compose.yaml`. Contributions are merged in component order: maps
 * (environment, services, volumes, configs) key by key, lists appended.
 */
export interface ComposeContribution {
  /** Services beside the app instances (a store, an example backend), each with a short label for diagrams. */
  services?: Record<
    string,
    {
      label: string;
      comment?: string;
      service: ComposeService;
      /** Holds state (a store): listed before the app. */ stateful?: boolean;
    }
  >;
  /** What every app instance gets on top of the service the compose component defines. */
  app?: {
    /** The instance's service; the compose component defines it, others add to it. */
    service?: ComposeService;
    /** How diagrams and comments call an instance (default: replica). */
    noun?: string;
    environment?: Record<string, string>;
    /** Comments above environment entries, by variable name. */
    environmentComments?: Record<string, string>;
    configs?: { source: string; target: string }[];
    /** Services every instance waits for until they are healthy. */
    dependsOn?: string[];
    /** A comment above the instance's healthcheck. */
    healthcheckComment?: string;
  };
  /** The entry point in front of the instances (a load balancer); it waits until every instance is healthy. */
  entry?: { name: string; label: string; comment?: string; service: ComposeService };
  volumes?: string[];
  configs?: Record<string, { comment?: string; content: string }>;
}

/** A JSON 6902 patch on a resource of the kustomize base, written into its kustomization. */
export interface KustomizePatch {
  /** Why, as a comment above the patch. */
  comment: string;
  target: { kind: string; name: string };
  operations: { op: 'add' | 'replace' | 'remove'; path: string; value?: unknown }[];
}

/**
 * What a component adds to the Kubernetes base (`deploy/k8s/base`). Contributions are merged in
 * component order; the base's own templates read the merged lists, the kustomization lists the
 * resources and patches.
 */
export interface K8sContribution {
  /** Settings in the ConfigMap `<name>-config` (never secrets), in order, each with an optional comment. */
  settings?: { name: string; value: string; comment?: string }[];
  /** Variables the Secret `<name>-secrets` must hold for this component (created outside the repository). */
  secrets?: string[];
  /** TCP ports the pods may reach (NetworkPolicy egress), with what is behind them in words. */
  egress?: { port: number; reaches: string }[];
  /** Resources beside the base's templates, by file name in the base folder: documents built as data. */
  resources?: Record<string, YamlFile>;
  /** Patches the kustomization applies to the base's resources. */
  patches?: KustomizePatch[];
  /** What else makes /ready answer 503, for the comment on the readiness probe. */
  readiness?: string;
}

/** Contributions of a component to the deployment documents, computed from the project. */
export interface DeployContributions {
  compose?: (context: DeployContext) => ComposeContribution;
  k8s?: (context: DeployContext) => K8sContribution;
  /** The folder of the kustomize base this component writes: its kustomization is built from every component's `k8s` contribution. */
  kustomizeBase?: string;
  /** The path of the Compose file this component writes from every component's `compose` contribution. */
  composeFile?: string;
  /** Files of the project the runtime image needs beside dist/ (copied in the Dockerfile), with why. */
  image?: { comment: string; copy: { from: string; to: string }[] };
  /** Files written as data (JSON documents), by path in the generated project. */
  documents?: (context: DeployContext) => Record<string, unknown>;
}
