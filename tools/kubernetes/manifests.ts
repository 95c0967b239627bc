// The one template of deploy/kubernetes: a region's Namespace, ConfigMap (the replicator
// config), Deployment (two replicas: the active and its standby) and PodDisruptionBudget, and an
// example Secret with the credentials. Typed with kubernetes-models' interfaces, so a misspelt
// field fails the typecheck; test/deploy/kubernetes.test.ts validates the rendered YAML against
// the Kubernetes schemas.
import { createHash } from "node:crypto";
import type { IDeployment } from "kubernetes-models/apps/v1";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1";
import type { IConfigMap, INamespace, ISecret } from "kubernetes-models/v1";
import type { KubernetesDeployment, KubernetesRegion } from "./regions.ts";

/** Where the replicator listens for /health, /ready and /metrics inside the pod. */
export const HTTP_PORT = 9464;
/** The compiled replicator inside the image (apps/replicator/package.json's bin). */
export const REPLICATOR_BIN = "/opt/georep/replicator/dist/georep-replicator.mjs";

export type Manifest = INamespace | IConfigMap | ISecret | IDeployment | IPodDisruptionBudget;

/** The replicator config (docs/operate.md) a region's pods read from the ConfigMap. */
export function replicatorConfig(
  deployment: KubernetesDeployment,
  region: KubernetesRegion,
): Record<string, unknown> {
  return {
    region: region.id,
    regions: deployment.regions.map((r) => ({ id: r.id })),
    postgres: { url: region.postgresUrl },
    kafka: { brokers: deployment.kafkaBrokers, partitions: 6, replicationFactor: 3 },
    ...(region.redisUrl === undefined ? {} : { redis: { url: region.redisUrl } }),
    tables: ["counting_results"],
    // All interfaces: the kubelet probes the pod's IP.
    http: { port: HTTP_PORT, host: "0.0.0.0" },
    lagWarningSeconds: 30,
    lagCriticalSeconds: 60,
  };
}

const names = (region: KubernetesRegion) => ({
  app: `georep-replicator-${region.id}`,
  secret: `georep-replicator-${region.id}-credentials`,
});

const labelsOf = (region: KubernetesRegion) => ({
  "app.kubernetes.io/name": "georep-replicator",
  "app.kubernetes.io/instance": region.id,
  "app.kubernetes.io/part-of": "georep",
});

/** The region's manifests, applied as they are (`kubectl apply -f deploy/kubernetes/<region>.yaml`). */
export function regionManifests(
  deployment: KubernetesDeployment,
  region: KubernetesRegion,
): Manifest[] {
  const { namespace } = deployment;
  const name = names(region);
  const labels = labelsOf(region);
  const configJson = `${JSON.stringify(replicatorConfig(deployment, region), null, 2)}\n`;
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: name.app, namespace, labels },
      data: { "config.json": configJson },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: name.app, namespace, labels },
      spec: {
        // The active replicator and its standby: they elect the active one themselves through
        // a PostgreSQL advisory lock; the standby answers /ready with 503 (so it is never Ready)
        // and takes over when the active one stops.
        replicas: 2,
        // Not RollingUpdate: a new pod cannot become Ready while the old active holds the lock,
        // and the old active cannot go while it is the only Ready pod, so a rolling update
        // would never finish. Recreate stops both (SIGTERM: a graceful stop) and starts two new.
        strategy: { type: "Recreate" },
        revisionHistoryLimit: 5,
        selector: { matchLabels: labels },
        template: {
          metadata: {
            labels,
            annotations: {
              // A changed config restarts the pods (a ConfigMap edit alone would not).
              "georep/config-sha256": createHash("sha256").update(configJson).digest("hex"),
              "prometheus.io/scrape": "true",
              "prometheus.io/port": String(HTTP_PORT),
              "prometheus.io/path": "/metrics",
            },
          },
          spec: {
            automountServiceAccountToken: false,
            // SIGTERM flushes to Kafka, acknowledges the slot and finishes the merge batch.
            terminationGracePeriodSeconds: 30,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 1000,
              runAsGroup: 1000,
              seccompProfile: { type: "RuntimeDefault" },
            },
            // The active and the standby on different nodes when the cluster has them.
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      labelSelector: { matchLabels: labels },
                      topologyKey: "kubernetes.io/hostname",
                    },
                  },
                ],
              },
            },
            containers: [
              {
                name: "replicator",
                image: deployment.image,
                command: ["node", REPLICATOR_BIN, "--config", "/etc/georep/config.json"],
                env: [
                  {
                    // node-postgres uses it for every connection whose URL has no password.
                    name: "PGPASSWORD",
                    valueFrom: { secretKeyRef: { name: name.secret, key: "PGPASSWORD" } },
                  },
                  { name: "NODE_ENV", value: "production" },
                  // Heap below the memory limit, so V8 collects before the kernel kills.
                  { name: "NODE_OPTIONS", value: "--enable-source-maps --max-old-space-size=384" },
                ],
                ports: [{ name: "http", containerPort: HTTP_PORT, protocol: "TCP" }],
                livenessProbe: {
                  httpGet: { path: "/health", port: "http" },
                  periodSeconds: 10,
                  timeoutSeconds: 2,
                  failureThreshold: 3,
                },
                readinessProbe: {
                  httpGet: { path: "/ready", port: "http" },
                  periodSeconds: 5,
                  timeoutSeconds: 2,
                  failureThreshold: 2,
                },
                // Idle, the compiled replicator holds ~100 MiB; batches and Kafka buffers add to it.
                resources: {
                  requests: { cpu: "250m", memory: "256Mi" },
                  limits: { cpu: "1", memory: "512Mi" },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                },
                volumeMounts: [{ name: "config", mountPath: "/etc/georep", readOnly: true }],
              },
            ],
            volumes: [{ name: "config", configMap: { name: name.app } }],
          },
        },
      },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: name.app, namespace, labels },
      spec: {
        // Only the active pod is Ready: a drain may always evict the standby, never the active
        // one (switch over first: docs/deploy.md).
        minAvailable: 1,
        unhealthyPodEvictionPolicy: "AlwaysAllow",
        selector: { matchLabels: labels },
      },
    },
  ];
}

/**
 * An example of the region's Secret, kept out of the applied manifests so that applying them
 * never overwrites real credentials: create it with `kubectl create secret` (docs/deploy.md).
 */
export function secretExample(deployment: KubernetesDeployment, region: KubernetesRegion): ISecret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: names(region).secret,
      namespace: deployment.namespace,
      labels: labelsOf(region),
    },
    type: "Opaque",
    stringData: { PGPASSWORD: "change-me" },
  };
}
