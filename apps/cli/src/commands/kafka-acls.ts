import { readFileSync } from "node:fs";
import { UsageError } from "@georep/command-line";
import { createKafka, regionAcls, regionPrincipal } from "@georep/kafka";
import type { RegionAcl } from "@georep/kafka";
import { silentLogger } from "@georep/observability";
import { clusterBrokers } from "@georep/replicator";
import type { ReplicatorConfig } from "@georep/replicator";
import { loadConfig } from "../config.ts";
import type { KafkaAclsFlags } from "../flags.ts";
import { table } from "../output/table.ts";

export interface KafkaAclsReport {
  /** Every region's principal and its ACLs (regionAcls), in --config order. */
  readonly regions: ReadonlyArray<{
    readonly region: string;
    readonly principal: string;
    readonly acls: readonly RegionAcl[];
  }>;
  /** With --apply: the clusters the ACLs were created on (each region's, deduplicated). */
  readonly appliedTo: readonly string[];
}

/** A region's ACLs from its own config: its zone and its peers are the ones it lists. */
function aclsOf(c: ReplicatorConfig): RegionAcl[] {
  const zone = c.regions.find((r) => r.id === c.region)?.zone;
  return regionAcls({
    region: c.region,
    ...(zone === undefined ? {} : { zone }),
    peers: c.regions.map((r) => (r.zone === undefined ? { id: r.id } : { id: r.id, zone: r.zone })),
  });
}

/**
 * `georep kafka acls --config <files...> [--apply --admin-password-file f]`: the broker ACLs of
 * every region's principal (packages/kafka/src/region-acls.ts); with --apply they are created
 * (idempotent) as the admin user on every cluster the configs name, over the configs' TLS.
 * @throws UsageError naming the flag or config field that is missing; KafkaError when refused.
 */
export async function kafkaAcls(f: KafkaAclsFlags): Promise<KafkaAclsReport> {
  const configs = f.config.map(loadConfig);
  const regions = configs.map((c) => ({
    region: c.region,
    principal: regionPrincipal(c.region),
    acls: aclsOf(c),
  }));
  if (!f.apply) return { regions, appliedTo: [] };
  const first = configs[0];
  const security = first?.kafkaSecurity;
  if (first === undefined || security === undefined)
    throw new UsageError(
      "--apply needs kafka.tls and kafka.sasl in the configs: ACLs are created over the cluster's SASL_SSL listener",
      "--apply",
    );
  let password: string;
  try {
    password = readFileSync(f.adminPasswordFile ?? "", "utf8").trim();
  } catch (error) {
    throw new UsageError(
      `--admin-password-file ${f.adminPasswordFile ?? ""}: cannot read it (${(error as NodeJS.ErrnoException).code ?? "unreadable"}); give the file holding the admin user's password`,
      "--admin-password-file",
      { cause: error },
    );
  }
  const clusters = new Map<string, readonly string[]>();
  for (const c of configs)
    for (const r of c.regions) {
      const brokers = clusterBrokers(c, r.id);
      clusters.set(brokers.join(","), brokers);
    }
  const all = regions.flatMap((r) => r.acls);
  for (const brokers of clusters.values()) {
    const kafka = createKafka({
      brokers,
      clientId: "georep-cli-acls",
      logger: silentLogger(),
      security: {
        ca: security.ca,
        sasl: { mechanism: "scram-sha-512", username: f.adminUser, password },
      },
    });
    await kafka.admin.createAcls(all);
  }
  return { regions, appliedTo: [...clusters.keys()] };
}

export function renderKafkaAcls(report: KafkaAclsReport): string {
  const rows = report.regions.flatMap((r) =>
    r.acls.map((a) => [a.principal, a.resource, a.pattern, a.name, a.operation] as const),
  );
  const applied =
    report.appliedTo.length === 0
      ? "not applied (add --apply and --admin-password-file to create them)\n"
      : `created (or already there) on ${report.appliedTo.join("; ")}\n`;
  return `${table(["principal", "resource", "pattern", "name", "operation"], rows)}${applied}`;
}
