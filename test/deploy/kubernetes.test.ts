// deploy/kubernetes: every manifest valid against the Kubernetes schemas (kubernetes-models'
// validate()), rendered from the one template (tools/kubernetes), and holding what a region's
// replicators need: probes on /health and /ready, a PodDisruptionBudget, resource limits, the
// config from the ConfigMap (a config the replicator accepts) and the password from the Secret.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1";
import type { IDeployment } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Secret } from "kubernetes-models/v1";
import type { IConfigMap, ISecret } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseReplicatorConfig } from "@georep/replicator";
import { findRepoRoot } from "@georep/testkit";

const root = findRepoRoot();
const dir = join(root, "deploy", "kubernetes");

/** The model class of each kind the manifests may hold: anything else is a mistake. */
const models = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
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

describe("Kubernetes manifests", () => {
  it("are rendered from tools/kubernetes for three regions", () => {
    expect(regionIds.sort()).toEqual(["ap-south", "eu-west", "us-east"]);
    // Exits 1 and names the file when a manifest was edited by hand or the template changed.
    execFileSync(process.execPath, ["--import", "tsx", "tools/kubernetes/main.ts", "--check"], {
      cwd: root,
      stdio: "pipe",
    });
  });

  it("every document passes the Kubernetes schema of its kind", () => {
    const paths = [...regionFiles.map((f) => join(dir, f)), ...regionIds.map(secretPath)];
    let validated = 0;
    for (const path of paths)
      for (const doc of readDocs(path)) {
        validate(path, doc);
        validated += 1;
      }
    expect(validated).toBe(regionIds.length * 5);
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
    const docs = readDocs(join(dir, `${region}.yaml`));
    const one = (kind: string): Doc | undefined => {
      const found = docs.filter((d) => d.kind === kind);
      expect(found, kind).toHaveLength(1);
      return found[0];
    };
    const deployment = one("Deployment") as IDeployment;
    const pdb = one("PodDisruptionBudget") as IPodDisruptionBudget;
    const configMap = one("ConfigMap") as IConfigMap;
    const pod = deployment.spec?.template;
    const container = pod?.spec?.containers.find((c) => c.name === "replicator");

    it("runs an active and a standby of the compiled replicator, recreated on update", () => {
      expect(deployment.spec?.replicas).toBe(2);
      expect(deployment.spec?.strategy?.type).toBe("Recreate");
      expect(deployment.spec?.selector.matchLabels).toEqual(pod?.metadata?.labels);
      expect(deployment.spec?.selector.matchLabels?.["app.kubernetes.io/instance"]).toBe(region);
      const pkg = JSON.parse(readFileSync(join(root, "apps/replicator/package.json"), "utf8")) as {
        bin: Record<string, string>;
      };
      const bin = (pkg.bin["georep-replicator"] ?? "").replace(/^\.\//, "");
      expect(container?.command?.[0]).toBe("node");
      expect(container?.command?.[1]).toMatch(new RegExp(`/${bin.replaceAll(".", "\\.")}$`));
      expect(readFileSync(join(dir, `${region}.yaml`), "utf8")).not.toMatch(/tsx/);
    });

    it("probes liveness on /health and readiness on /ready at the config's HTTP port", () => {
      const config = parseReplicatorConfig(JSON.parse(configMap.data?.["config.json"] ?? ""));
      const port = container?.ports?.find((p) => p.name === "http");
      expect(port?.containerPort).toBe(config.http.port);
      expect(config.http.host).toBe("0.0.0.0");
      expect(container?.livenessProbe?.httpGet).toEqual({ path: "/health", port: "http" });
      expect(container?.readinessProbe?.httpGet).toEqual({ path: "/ready", port: "http" });
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

    it("reads a valid replicator config from the ConfigMap, restarting when it changes", () => {
      const text = configMap.data?.["config.json"] ?? "";
      const config = parseReplicatorConfig(JSON.parse(text));
      expect(config.region).toBe(region);
      expect(config.regions.map((r) => r.id).sort()).toEqual([...regionIds].sort());
      // No credentials in a ConfigMap: the password comes from the Secret.
      expect(new URL(config.postgres.url).password).toBe("");
      const args = container?.command ?? [];
      const configArg = args[args.indexOf("--config") + 1];
      const volume = pod?.spec?.volumes?.find(
        (v) => v.configMap?.name === configMap.metadata?.name,
      );
      const mount = container?.volumeMounts?.find((m) => m.name === volume?.name);
      expect(mount?.mountPath).toBe(dirname(configArg ?? ""));
      expect(basename(configArg ?? "")).toBe("config.json");
      expect(pod?.metadata?.annotations?.["georep/config-sha256"]).toBe(
        createHash("sha256").update(text).digest("hex"),
      );
    });

    it("takes the database password from the region's Secret", () => {
      const ref = container?.env?.find((e) => e.name === "PGPASSWORD")?.valueFrom?.secretKeyRef;
      const [secret] = readDocs(secretPath(region)) as ISecret[];
      expect(ref?.name).toBe(secret?.metadata?.name);
      expect(Object.keys(secret?.stringData ?? {})).toContain(ref?.key);
      expect(secret?.metadata?.namespace).toBe(deployment.metadata?.namespace);
    });
  });
});
