// What the replicator's and the schema-apply Job's pods share: labels, the unprivileged security
// context, and the read-only volumes that carry the config, the CA certificates and the secrets.
import type { IContainer, IPodSecurityContext, IVolume, IVolumeMount } from "kubernetes-models/v1";
import {
  CA_MODE,
  CONFIG_DIR,
  POD_USER,
  SECRETS_DIR,
  SECRET_MODE,
  TLS_DIR,
  names,
} from "./layout.ts";
import type { KubernetesRegion } from "./regions.ts";

export const labelsOf = (region: KubernetesRegion, name = "georep-replicator") => ({
  "app.kubernetes.io/name": name,
  "app.kubernetes.io/instance": region.id,
  "app.kubernetes.io/part-of": "georep",
});

/** fsGroup: the secret files are group-readable by the pod's group, and by nobody else. */
export const podSecurityContext: IPodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: POD_USER,
  runAsGroup: POD_USER,
  fsGroup: POD_USER,
  seccompProfile: { type: "RuntimeDefault" },
};

export const containerSecurityContext: IContainer["securityContext"] = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/** The config (`configMap`), the CAs and the secrets (`secrets`), each in its own directory. */
export function podVolumes(
  region: KubernetesRegion,
  configMap: string,
  secrets: IVolume,
): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  return {
    volumes: [
      { name: "config", configMap: { name: configMap } },
      { name: "tls", configMap: { name: names(region).ca, defaultMode: CA_MODE } },
      secrets,
    ],
    mounts: [
      { name: "config", mountPath: CONFIG_DIR, readOnly: true },
      { name: "tls", mountPath: TLS_DIR, readOnly: true },
      { name: secrets.name, mountPath: SECRETS_DIR, readOnly: true },
    ],
  };
}

/** The region's credentials Secret, every key a file (mode 0440). */
export const credentialsVolume = (region: KubernetesRegion): IVolume => ({
  name: "secrets",
  secret: { secretName: names(region).credentials, defaultMode: SECRET_MODE },
});
