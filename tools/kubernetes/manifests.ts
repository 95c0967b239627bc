// The one template of deploy/kubernetes/<region>.yaml: a region's Namespace, ConfigMap (the
// replicator config), Deployment (two replicas: the active and its standby), PodDisruptionBudget
// and NetworkPolicy. Typed with kubernetes-models' interfaces, so a misspelt field fails the
// typecheck; test/deploy/kubernetes.test.ts validates the rendered YAML against the Kubernetes
// schemas. The Secrets, the CA ConfigMap and the schema-apply Job are rendered apart
// (secret-examples.ts, schema-apply.ts): applying this file never overwrites a credential.
import { createHash } from "node:crypto";
import type { IDeployment } from "kubernetes-models/apps/v1";
import type { IJob } from "kubernetes-models/batch/v1";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1";
import type { IConfigMap, INamespace, ISecret } from "kubernetes-models/v1";
import { HTTP_PORT, configJson, replicatorConfig } from "./configs.ts";
import { CONFIG_DIR, CONFIG_FILE, REPLICATOR_BIN, names } from "./layout.ts";
import {
  containerSecurityContext,
  credentialsVolume,
  labelsOf,
  podSecurityContext,
  podVolumes,
} from "./pod.ts";
import type { KubernetesDeployment, KubernetesRegion } from "./regions.ts";

export type Manifest =
  INamespace | IConfigMap | ISecret | IDeployment | IPodDisruptionBudget | INetworkPolicy | IJob;

/** The region's manifests, applied as they are (`kubectl apply -f deploy/kubernetes/<region>.yaml`). */
export function regionManifests(
  deployment: KubernetesDeployment,
  region: KubernetesRegion,
): Manifest[] {
  const { namespace } = deployment;
  const name = names(region);
  const labels = labelsOf(region);
  const config = configJson(replicatorConfig(deployment, region));
  const { volumes, mounts } = podVolumes(region, name.app, credentialsVolume(region));
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: name.app, namespace, labels },
      data: { [CONFIG_FILE]: config },
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
              // A changed config restarts the pods (a ConfigMap edit alone would not). Secrets
              // are read once at start too: after changing one, `kubectl rollout restart`.
              "georep/config-sha256": createHash("sha256").update(config).digest("hex"),
              "prometheus.io/scrape": "true",
              "prometheus.io/port": String(HTTP_PORT),
              "prometheus.io/path": "/metrics",
            },
          },
          spec: {
            automountServiceAccountToken: false,
            // SIGTERM flushes to Kafka, acknowledges the slot and finishes the merge batch.
            terminationGracePeriodSeconds: 30,
            securityContext: podSecurityContext,
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
                command: ["node", REPLICATOR_BIN, "--config", `${CONFIG_DIR}/${CONFIG_FILE}`],
                // No secret here: the config names files in the mounted Secret.
                env: [
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
                securityContext: containerSecurityContext,
                volumeMounts: mounts,
              },
            ],
            volumes,
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
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: name.app, namespace, labels },
      spec: {
        // /health, /ready and /metrics are plain HTTP without authentication: only the
        // monitoring namespace may reach them. The kubelet's probes come from the node, which a
        // NetworkPolicy never blocks; the replicator accepts no other connection.
        podSelector: { matchLabels: labels },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: {
                  matchLabels: { "kubernetes.io/metadata.name": deployment.monitoringNamespace },
                },
              },
            ],
            ports: [{ protocol: "TCP", port: HTTP_PORT }],
          },
        ],
      },
    },
  ];
}
