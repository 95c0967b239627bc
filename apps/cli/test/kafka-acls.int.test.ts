// `georep kafka acls`: every region's ACLs printed from the configs, and created with --apply on
// the secure broker as its admin.
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import type {
  AclOperationTypes as Operations,
  AclPermissionTypes as Permissions,
  AclResourceTypes as Resources,
  ResourcePatternTypes as Patterns,
} from "kafkajs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { ensureSecureKafka, georep, kafkaSecurity } from "@georep/testkit";

// kafkajs is CommonJS and these enums are not visible to Node's ES named-export detection.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } =
  createRequire(import.meta.url)("kafkajs") as {
    AclOperationTypes: typeof Operations;
    AclPermissionTypes: typeof Permissions;
    AclResourceTypes: typeof Resources;
    ResourcePatternTypes: typeof Patterns;
  };

/** One config per region, as an operator writes them: `a` in zone eu, `<a>-2` in zone us. */
function configs(brokers: readonly string[], ca: string, a: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "georep-kafka-acls-"));
  const regions = [
    { id: a, zone: "eu" },
    { id: `${a}-2`, zone: "us" },
  ];
  return regions.map(({ id }) => {
    const file = join(dir, `${id}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        region: id,
        regions,
        postgres: { url: "postgres://georep@localhost:55451/postgres" },
        kafka: {
          brokers,
          replicationFactor: 1,
          topic: { minInsyncReplicas: 1 },
          tls: { ca },
          sasl: {
            mechanism: "scram-sha-512",
            username: `georep-${id}`,
            password: { file: join(dir, "unused") },
          },
        },
        tables: ["counting_results"],
      }),
    );
    return file;
  });
}

describe("georep kafka acls", () => {
  it("prints every region's ACLs, and creates them with --apply as the admin", async () => {
    const endpoint = await ensureSecureKafka();
    const a = `c${randomBytes(4).toString("hex")}`;
    const files = configs(endpoint.brokers, endpoint.caFile, a);
    writeFileSync(join(files[0] ?? "", "..", "unused"), "x\n");

    const printed = await georep("kafka", "acls", "--config", ...files);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(
      new RegExp(`User:georep-${a} +TOPIC +LITERAL +georep\\.${a} +WRITE`),
    );
    expect(printed.stdout).toMatch(
      new RegExp(`User:georep-${a} +TOPIC +LITERAL +georep\\.${a}-2\\.zone\\.eu +READ`),
    );
    expect(printed.stdout).not.toMatch(
      new RegExp(`georep-${a} +TOPIC +\\S+ +georep\\.${a}-2\\.zone\\.us`),
    );
    expect(printed.stdout).toContain("not applied");

    const refused = await georep("kafka", "acls", "--config", ...files, "--apply");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--admin-password-file");

    const applied = await georep(
      "kafka",
      "acls",
      "--config",
      ...files,
      "--apply",
      "--admin-password-file",
      endpoint.admin.passwordFile,
      "--json",
    );
    expect(applied.code, applied.stderr).toBe(0);
    const report = JSON.parse(applied.stdout) as {
      regions: Array<{ acls: unknown[] }>;
      appliedTo: string[];
    };
    expect(report.appliedTo).toEqual([endpoint.brokers.join(",")]);

    const security = kafkaSecurity(endpoint, endpoint.admin);
    const admin = new Kafka({
      clientId: "georep-test-acls",
      brokers: endpoint.brokers,
      logLevel: logLevel.NOTHING,
      ssl: { ca: [security.ca], rejectUnauthorized: true },
      sasl: { mechanism: "scram-sha-512", username: "admin", password: security.sasl.password },
    }).admin();
    await admin.connect();
    try {
      const described = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        principal: `User:georep-${a}`,
        host: "*",
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      const count = described.resources.reduce((n, r) => n + r.acls.length, 0);
      expect(count).toBe(report.regions[0]?.acls.length);
    } finally {
      await admin.disconnect();
    }
  });
});
