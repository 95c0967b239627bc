// deploy/kubernetes: every manifest valid against the Kubernetes schemas (kubernetes-models'
// validate()), rendered from the templates (tools/kubernetes), and holding what a region's
// replicators need: probes on /health and /ready, a PodDisruptionBudget, resource limits, the
// config from the ConfigMap (a config the replicator's own parser accepts, secured on every
// link), every secret a file of a mounted Secret, and the schema-apply Job with the admin login.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1";
import type { IDeployment } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import type { IJob } from "kubernetes-models/batch/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Secret } from "kubernetes-models/v1";
import type { IConfigMap, IPodTemplateSpec, ISecret } from "kubernetes-models/v1";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ConfigError, parseReplicatorConfig, plaintextLinks } from "@georep/replicator";
import { findRepoRoot } from "@georep/testkit";
import {
  PLACEHOLDER,
  caFiles,
  materialize,
  removeStandIns,
  secretRefs,
  urls,
} from "./config-files.ts";

const root = findRepoRoot();
const dir = join(root, "deploy", "kubernetes");

/** The model class of each kind the manifests may hold: anything else is a mistake. */
const models = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
} as const;

interface Doc {
  readonly apiVersion: string;
  readonly kind: string;
}

function readDocs(path: string): Doc[] {
  return parseAllDocuments(readFileSync(path, "utf8")).map((d) => {
    if (d.errors.length > 0) throw new Error(`${path}: ${d.errors.map(String).join("; ")}`);
    return d.toJS() as Doc;
  });
}

/** Validates against the schema of its kind. @throws Error naming the file, kind and field. */
function validate(path: string, doc: Doc): void {
  const Model = models[`${doc.apiVersion}/${doc.kind}` as keyof typeof models] as
    (new (data: unknown) => { validate(): void }) | undefined;
  if (Model === undefined) throw new Error(`${path}: unexpected ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

/** A resource quantity in base units (cores or bytes): `250m`, `1`, `512Mi`. */
function quantity(q: string | number | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(String(q));
  if (m === null) throw new Error(`not a quantity: ${q}`);
  const unit = { m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] ?? ""] ?? 1;
  return Number(m[1]) * unit;
}

const regionFiles = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
const regionIds = regionFiles.map((f) => basename(f, ".yaml"));
const secretPath = (region: string): string => join(dir, "secret-examples", `${region}.yaml`);
const schemaApplyPath = (region: string): string => join(dir, "schema-apply", `${region}.yaml`);

/** Where the pods' files live: the config, CA and secret volumes are all mounted under it. */
const POD_ROOT = "/etc/georep/";
const CONFIG_FILE = "config.json";

/** The compiled executable a package.json's bin names, relative to its app directory. */
function binOf(app: string, name: string): string {
  const pkg = JSON.parse(readFileSync(join(root, "apps", app, "package.json"), "utf8")) as {
    bin: Record<string, string>;
  };
  return (pkg.bin[name] ?? "").replace(/^\.\//, "");
}

/** Read-only and at most owner and group read (0400, 0440). */
const secretMode = (mode: number | undefined): boolean =>
  mode !== undefined && (mode & ~0o440) === 0;

/**
 * The pod's config file (the `--config` argument), checked to be the key of the ConfigMap
 * mounted at its directory, and the config it holds.
 */
function podConfig(
  pod: IPodTemplateSpec | undefined,
  command: readonly string[],
  configMap: IConfigMap,
): Record<string, unknown> {
  const configArg = command[command.indexOf("--config") + 1] ?? "";
  const volume = pod?.spec?.volumes?.find((v) => v.configMap?.name === configMap.metadata?.name);
  const mount = pod?.spec?.containers[0]?.volumeMounts?.find((m) => m.name === volume?.name);
  expect(mount?.mountPath).toBe(dirname(configArg));
  expect(mount?.readOnly).toBe(true);
  expect(basename(configArg)).toBe(CONFIG_FILE);
  return JSON.parse(configMap.data?.[CONFIG_FILE] ?? "") as Record<string, unknown>;
}

/**
 * Every secret reference of `config` is a file of a Secret mounted read-only with mode 0400/0440
 * (directly, or projected from Secrets only), and that Secret's example holds the key; every CA
 * file is a key of a mounted ConfigMap or Secret. Returns the Secret names the pod mounts.
 */
function expectFilesMounted(
  config: unknown,
  pod: IPodTemplateSpec | undefined,
  examples: ReadonlyArray<ISecret | IConfigMap>,
): Set<string> {
  const container = pod?.spec?.containers[0];
  const volumeAt = (path: string) => {
    const mount = container?.volumeMounts?.find((m) => m.mountPath === dirname(path));
    expect(mount?.readOnly, path).toBe(true);
    const volume = pod?.spec?.volumes?.find((v) => v.name === mount?.name);
    expect(volume, path).toBeDefined();
    return volume;
  };
  const exampleKeys = (kind: string, name: string | undefined): string[] => {
    const doc = examples.find((d) => d.kind === kind && d.metadata?.name === name);
    expect(doc, `${kind} ${name} in secret-examples`).toBeDefined();
    return Object.keys((doc as ISecret).stringData ?? (doc as IConfigMap).data ?? {});
  };
  const secretNames = new Set<string>();
  const refs = secretRefs(config);
  expect(refs.length).toBeGreaterThan(0);
  for (const { field, ref } of refs) {
    expect(ref.env, `${field}: secrets come from files, not the environment`).toBeUndefined();
    const path = ref.file ?? "";
    expect(path.startsWith(POD_ROOT), field).toBe(true);
    const volume = volumeAt(path);
    const key = basename(path);
    if (volume?.secret !== undefined) {
      expect(secretMode(volume.secret.defaultMode), field).toBe(true);
      expect(exampleKeys("Secret", volume.secret.secretName)).toContain(key);
      secretNames.add(volume.secret.secretName ?? "");
      continue;
    }
    const projected = volume?.projected;
    expect(projected, `${field}: a Secret volume`).toBeDefined();
    expect(secretMode(projected?.defaultMode), field).toBe(true);
    expect(
      projected?.sources?.every((s) => s.secret !== undefined && s.configMap === undefined),
    ).toBe(true);
    const source = projected?.sources?.find((s) => s.secret?.items?.some((i) => i.path === key));
    const item = source?.secret?.items?.find((i) => i.path === key);
    expect(exampleKeys("Secret", source?.secret?.name)).toContain(item?.key);
    for (const s of projected?.sources ?? []) secretNames.add(s.secret?.name ?? "");
  }
  for (const path of caFiles(config)) {
    expect(path.startsWith(POD_ROOT), path).toBe(true);
    const volume = volumeAt(path);
    const source = volume?.configMap?.name ?? volume?.secret?.secretName;
    expect(exampleKeys(volume?.configMap ? "ConfigMap" : "Secret", source)).toContain(
      basename(path),
    );
  }
  return secretNames;
}

/** No URL carries a password; every PostgreSQL URL verifies the server (verify-full + CA). */
function expectUrlsSafe(config: unknown): void {
  for (const [field, url] of urls(config)) {
    expect(url.password, field).toBe("");
    if (url.protocol.startsWith("postgres")) {
      expect(url.searchParams.get("sslmode"), field).toBe("verify-full");
      expect(url.searchParams.get("sslrootcert"), field).toMatch(/^\//);
    }
  }
}

describe("Kubernetes manifests", () => {
  afterAll(removeStandIns);

  it("are rendered from tools/kubernetes for three regions", () => {
    expect(regionIds.sort()).toEqual(["ap-south", "eu-west", "us-east"]);
    // Exits 1 and names the file when a manifest was edited by hand or the template changed.
    execFileSync(process.execPath, ["--import", "tsx", "tools/kubernetes/main.ts", "--check"], {
      cwd: root,
      stdio: "pipe",
    });
  });

  it("every document passes the Kubernetes schema of its kind", () => {
    const paths = [
      ...regionFiles.map((f) => join(dir, f)),
      ...regionIds.map(secretPath),
      ...regionIds.map(schemaApplyPath),
    ];
    let validated = 0;
    for (const path of paths)
      for (const doc of readDocs(path)) {
        validate(path, doc);
        validated += 1;
      }
    // Per region: 5 applied, 3 examples (two Secrets, the CA ConfigMap), 2 schema apply.
    expect(validated).toBe(regionIds.length * (5 + 3 + 2));
  });

  it("validation is not vacuous: a probe without a port is refused", () => {
    const [doc] = readDocs(join(dir, "us-east.yaml")).filter((d) => d.kind === "Deployment");
    const broken = structuredClone(doc) as IDeployment;
    const container = broken.spec?.template.spec?.containers[0];
    if (container?.livenessProbe?.httpGet === undefined) throw new Error("no liveness probe");
    delete (container.livenessProbe.httpGet as { port?: unknown }).port;
    expect(() => {
      new Deployment(broken).validate();
    }).toThrow(/port/);
  });

  describe.each(regionIds)("region %s", (region) => {
    const text = readFileSync(join(dir, `${region}.yaml`), "utf8");
    const docs = readDocs(join(dir, `${region}.yaml`));
    const one = (kind: string, from: readonly Doc[] = docs): Doc | undefined => {
      const found = from.filter((d) => d.kind === kind);
      expect(found, kind).toHaveLength(1);
      return found[0];
    };
    const deployment = one("Deployment") as IDeployment;
    const pdb = one("PodDisruptionBudget") as IPodDisruptionBudget;
    const policy = one("NetworkPolicy") as INetworkPolicy;
    const configMap = one("ConfigMap") as IConfigMap;
    const pod = deployment.spec?.template;
    const container = pod?.spec?.containers.find((c) => c.name === "replicator");
    const examples = readDocs(secretPath(region)) as Array<ISecret | IConfigMap>;
    const rendered = podConfig(pod, container?.command ?? [], configMap);
    /** The config through the replicator's parser, its files stood in, no environment. */
    const parsed = () => parseReplicatorConfig(materialize(rendered, POD_ROOT), {});

    it("runs an active and a standby of the compiled replicator, recreated on update", () => {
      expect(deployment.spec?.replicas).toBe(2);
      expect(deployment.spec?.strategy?.type).toBe("Recreate");
      expect(deployment.spec?.selector.matchLabels).toEqual(pod?.metadata?.labels);
      expect(deployment.spec?.selector.matchLabels?.["app.kubernetes.io/instance"]).toBe(region);
      const bin = binOf("replicator", "georep-replicator");
      expect(container?.command?.[0]).toBe("node");
      expect(container?.command?.[1]).toMatch(new RegExp(`/${bin.replaceAll(".", "\\.")}$`));
      expect(text).not.toMatch(/tsx/);
    });

    it("probes liveness on /health and readiness on /ready at the config's HTTP port", () => {
      const config = parsed();
      const port = container?.ports?.find((p) => p.name === "http");
      expect(port?.containerPort).toBe(config.http.port);
      // A pod has one address: all of it (the kubelet probes the pod IP), fenced by the policy.
      expect(config.http.host).toBe("0.0.0.0");
      expect(container?.livenessProbe?.httpGet).toEqual({ path: "/health", port: "http" });
      expect(container?.readinessProbe?.httpGet).toEqual({ path: "/ready", port: "http" });
    });

    it("admits only the monitoring namespace to the probe and metrics port", () => {
      expect(policy.spec?.podSelector?.matchLabels).toEqual(deployment.spec?.selector.matchLabels);
      expect(policy.spec?.policyTypes).toEqual(["Ingress"]);
      const rules = policy.spec?.ingress ?? [];
      expect(rules).toHaveLength(1);
      expect(rules[0]?.ports).toEqual([
        { protocol: "TCP", port: container?.ports?.[0]?.containerPort },
      ]);
      expect(rules[0]?.from?.length).toBeGreaterThan(0);
      for (const peer of rules[0]?.from ?? []) {
        expect(peer.ipBlock).toBeUndefined();
        expect(Object.keys(peer.namespaceSelector?.matchLabels ?? {}).length).toBeGreaterThan(0);
      }
    });

    it("keeps one replicator through voluntary disruptions (PodDisruptionBudget)", () => {
      expect(pdb.spec?.minAvailable).toBe(1);
      expect(pdb.spec?.maxUnavailable).toBeUndefined();
      // The standby is never Ready: a drain may evict it whatever the budget says.
      expect(pdb.spec?.unhealthyPodEvictionPolicy).toBe("AlwaysAllow");
      expect(pdb.spec?.selector?.matchLabels).toEqual(deployment.spec?.selector.matchLabels);
      expect(pdb.metadata?.namespace).toBe(deployment.metadata?.namespace);
    });

    it("requests and limits CPU and memory, and runs unprivileged on a read-only root", () => {
      const { requests, limits } = container?.resources ?? {};
      for (const resource of ["cpu", "memory"]) {
        const request = quantity(requests?.[resource]);
        expect(request, resource).toBeGreaterThan(0);
        expect(quantity(limits?.[resource]), resource).toBeGreaterThanOrEqual(request);
      }
      const heapMiB = Number(
        /--max-old-space-size=(\d+)/.exec(
          container?.env?.find((e) => e.name === "NODE_OPTIONS")?.value ?? "",
        )?.[1],
      );
      expect(heapMiB * 1024 ** 2).toBeLessThan(quantity(limits?.["memory"]));
      expect(pod?.spec?.securityContext?.runAsNonRoot).toBe(true);
      expect(container?.securityContext?.readOnlyRootFilesystem).toBe(true);
      expect(container?.securityContext?.allowPrivilegeEscalation).toBe(false);
    });

    it("reads a config the replicator accepts from the ConfigMap, restarting when it changes", () => {
      const config = parsed();
      expect(config.region).toBe(region);
      expect(config.regions.map((r) => r.id).sort()).toEqual([...regionIds].sort());
      expect(pod?.metadata?.annotations?.["georep/config-sha256"]).toBe(
        createHash("sha256")
          .update(configMap.data?.[CONFIG_FILE] ?? "")
          .digest("hex"),
      );
    });

    it("is secured on every link: verify-full, Kafka SASL_SSL as the region, Redis and Sentinel TLS with logins, signed", () => {
      const config = parsed();
      expect(plaintextLinks(config)).toEqual([]);
      expectUrlsSafe(rendered);
      expect(config.kafkaSecurity?.sasl).toMatchObject({
        mechanism: "scram-sha-512",
        username: `georep-${region}`,
      });
      expect(config.redis?.sentinels?.length).toBeGreaterThan(0);
      expect(config.redisSecurity?.ca).toMatch(/BEGIN CERTIFICATE/);
      for (const login of ["username", "password", "sentinelUsername", "sentinelPassword"] as const)
        expect(config.redisSecurity?.[login], login).toBeDefined();
      expect(config.envelopeSigning?.signer).toBeDefined();
      expect(config.envelopeSigning?.acceptUnsigned).toBe(false);
      expect(Object.keys(config.envelopeSigning?.keyIds ?? {}).sort()).toEqual(
        [...regionIds].sort(),
      );
    });

    it("holds only the capture and merge roles' logins, never the admin's, and installs nothing", () => {
      const config = parsed();
      expect(config.postgres.roles?.capture.user).toBe("georep_reader");
      expect(config.postgres.roles?.merge.user).toBe("georep_merger");
      expect(config.postgres.password).toBeUndefined();
      expect(config.installSchema).toBe(false);
    });

    it("takes every secret from a file of the region's Secret, mounted read-only, none from env", () => {
      expect(text).not.toMatch(/PGPASSWORD/);
      for (const e of container?.env ?? []) expect(e.valueFrom, e.name).toBeUndefined();
      expect(container?.envFrom).toBeUndefined();
      const secrets = expectFilesMounted(rendered, pod, examples);
      expect([...secrets]).toHaveLength(1);
      // Kubernetes makes secret files root's unless fsGroup gives them the pod's group.
      expect(pod?.spec?.securityContext?.fsGroup).toBe(pod?.spec?.securityContext?.runAsGroup);
      for (const doc of examples)
        expect(doc.metadata?.namespace).toBe(deployment.metadata?.namespace);
    });

    it("refuses to start until the operator fills in the public keys (the placeholders)", () => {
      const keys = (rendered["regions"] as Array<{ publicKeys?: string[] }>).flatMap(
        (r) => r.publicKeys ?? [],
      );
      expect(keys).toHaveLength(regionIds.length);
      for (const key of keys) expect(key).toMatch(PLACEHOLDER);
      const unfilled = materialize(rendered, POD_ROOT, { fillKeys: false });
      expect(() => parseReplicatorConfig(unfilled, {})).toThrow(ConfigError);
      try {
        parseReplicatorConfig(unfilled, {});
      } catch (error) {
        expect((error as ConfigError).field).toMatch(/^regions\.\d+\.publicKeys\.0$/);
      }
    });

    describe("schema apply Job", () => {
      const jobDocs = readDocs(schemaApplyPath(region));
      const job = one("Job", jobDocs) as IJob;
      const jobConfigMap = one("ConfigMap", jobDocs) as IConfigMap;
      const jobPod = job.spec?.template;
      const jobContainer = jobPod?.spec?.containers[0];
      const jobConfig = podConfig(jobPod, jobContainer?.command ?? [], jobConfigMap);

      it("runs the compiled `georep schema apply` once, unprivileged", () => {
        const bin = binOf("cli", "georep");
        expect(jobContainer?.command?.slice(0, 2)).toEqual([
          "node",
          expect.stringMatching(new RegExp(`/${bin.replaceAll(".", "\\.")}$`)),
        ]);
        expect(jobContainer?.command?.slice(2, 5)).toEqual(["schema", "apply", "--config"]);
        expect(jobPod?.spec?.restartPolicy).toBe("Never");
        expect(jobPod?.spec?.securityContext?.runAsNonRoot).toBe(true);
        expect(jobContainer?.securityContext?.readOnlyRootFilesystem).toBe(true);
        expect(job.metadata?.namespace).toBe(deployment.metadata?.namespace);
      });

      it("logs in as the admin, sets the roles' passwords, over verify-full", () => {
        const config = parseReplicatorConfig(materialize(jobConfig, POD_ROOT), {});
        expect(config.postgres.password).toBeDefined();
        expect(config.postgres.roles).toBeDefined();
        // The same database as the replicator's, as the URL's user (the admin login).
        const urlOf = (c: Record<string, unknown>) => (c["postgres"] as { url: string }).url;
        expect(urlOf(jobConfig)).toBe(urlOf(rendered));
        expectUrlsSafe(jobConfig);
        // It never talks to Kafka or Redis, and ships nothing: none of their secrets.
        expect(jobConfig["redis"]).toBeUndefined();
        expect(jobConfig["signing"]).toBeUndefined();
        expect((jobConfig["kafka"] as Record<string, unknown>)["sasl"]).toBeUndefined();
      });

      it("mounts the admin Secret, which the replicator's pods never do", () => {
        const jobSecrets = expectFilesMounted(jobConfig, jobPod, examples);
        const replicatorSecrets = expectFilesMounted(rendered, pod, examples);
        const admin = [...jobSecrets].filter((s) => !replicatorSecrets.has(s));
        expect(admin).toHaveLength(1);
        const mounted = (pod?.spec?.volumes ?? []).flatMap((v) => [
          v.secret?.secretName,
          ...(v.projected?.sources ?? []).map((s) => s.secret?.name),
        ]);
        expect(mounted).not.toContain(admin[0]);
      });
    });
  });
});
