// deploy/kubernetes/secret-examples/<region>.yaml: the shape of what a region's pods mount but
// the applied manifests leave out, so that applying them never overwrites real credentials: the
// replicator's credentials Secret, the admin login's Secret (the schema-apply Job's only) and
// the CA ConfigMap. Create them with `kubectl create secret generic … --from-file` (docs/deploy.md).
import type { IConfigMap, ISecret } from "kubernetes-models/v1";
import { ADMIN_KEY, CA_KEYS, credentialKeys, names } from "./layout.ts";
import { labelsOf } from "./pod.ts";
import type { KubernetesDeployment, KubernetesRegion } from "./regions.ts";

const CHANGE_ME = "change-me";

const placeholders = (keys: readonly string[]): Record<string, string> =>
  Object.fromEntries(keys.map((key) => [key, CHANGE_ME]));

export function secretExamples(
  deployment: KubernetesDeployment,
  region: KubernetesRegion,
): [ISecret, ISecret, IConfigMap] {
  const { namespace } = deployment;
  const name = names(region);
  const labels = labelsOf(region);
  return [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: name.credentials, namespace, labels },
      type: "Opaque",
      stringData: placeholders(Object.values(credentialKeys(region))),
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: name.admin, namespace, labels: labelsOf(region, "georep-schema-apply") },
      type: "Opaque",
      stringData: placeholders([ADMIN_KEY]),
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: name.ca, namespace, labels },
      // PEM CA certificates (-----BEGIN CERTIFICATE-----): public, hence a ConfigMap.
      data: placeholders(Object.values(CA_KEYS)),
    },
  ];
}
