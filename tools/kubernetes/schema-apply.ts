// deploy/kubernetes/schema-apply/<region>.yaml: the Job that installs or migrates georep in a
// region's database with `georep schema apply`, as the admin login, and sets the capture and
// merge roles' passwords. Run it before the replicators start and before every upgrade: they
// run with postgres.roles and installSchema off, so they never install anything themselves.
import type { IJob } from "kubernetes-models/batch/v1";
import type { IConfigMap, IVolume } from "kubernetes-models/v1";
import { configJson, schemaApplyConfig } from "./configs.ts";
import {
  ADMIN_KEY,
  CLI_BIN,
  CONFIG_DIR,
  CONFIG_FILE,
  SECRET_MODE,
  credentialKeys,
  names,
} from "./layout.ts";
import { containerSecurityContext, labelsOf, podSecurityContext, podVolumes } from "./pod.ts";
import type { KubernetesDeployment, KubernetesRegion } from "./regions.ts";

/**
 * The admin password from its own Secret, and of the region's credentials only the two role
 * passwords schema apply sets: no Kafka, Redis or signing secret reaches this pod.
 */
function schemaApplySecrets(region: KubernetesRegion): IVolume {
  const name = names(region);
  const keys = credentialKeys(region);
  return {
    name: "secrets",
    projected: {
      defaultMode: SECRET_MODE,
      sources: [
        { secret: { name: name.admin, items: [{ key: ADMIN_KEY, path: ADMIN_KEY }] } },
        {
          secret: {
            name: name.credentials,
            items: [keys.pgCapture, keys.pgMerge].map((key) => ({ key, path: key })),
          },
        },
      ],
    },
  };
}

export function schemaApplyManifests(
  deployment: KubernetesDeployment,
  region: KubernetesRegion,
): [IConfigMap, IJob] {
  const { namespace } = deployment;
  const name = names(region).schemaApply;
  const labels = labelsOf(region, "georep-schema-apply");
  const { volumes, mounts } = podVolumes(region, name, schemaApplySecrets(region));
  return [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace, labels },
      data: { [CONFIG_FILE]: configJson(schemaApplyConfig(deployment, region)) },
    },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name, namespace, labels },
      spec: {
        // schema apply is idempotent: a retry after a lost connection is safe.
        backoffLimit: 3,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: "Never",
            automountServiceAccountToken: false,
            securityContext: podSecurityContext,
            containers: [
              {
                name: "schema-apply",
                image: deployment.image,
                command: [
                  "node",
                  CLI_BIN,
                  "schema",
                  "apply",
                  "--config",
                  `${CONFIG_DIR}/${CONFIG_FILE}`,
                ],
                env: [{ name: "NODE_ENV", value: "production" }],
                resources: {
                  requests: { cpu: "100m", memory: "128Mi" },
                  limits: { cpu: "1", memory: "256Mi" },
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
  ];
}
