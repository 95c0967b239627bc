import { createRequire } from "node:module";
import type {
  AclEntry,
  AclOperationTypes as Operations,
  AclPermissionTypes as Permissions,
  AclResourceTypes as Resources,
  Kafka,
  ResourcePatternTypes as Patterns,
} from "kafkajs";
import { toKafkaError } from "./errors.ts";
import type { RegionAcl } from "./region-acls.ts";

// kafkajs is CommonJS and these enums are not visible to Node's ES named-export detection.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } =
  createRequire(import.meta.url)("kafkajs") as {
    AclOperationTypes: typeof Operations;
    AclPermissionTypes: typeof Permissions;
    AclResourceTypes: typeof Resources;
    ResourcePatternTypes: typeof Patterns;
  };

/** The kafkajs entry of one ALLOW ACL, for any host. Pure. */
export function aclEntry(a: RegionAcl): AclEntry {
  return {
    resourceType: AclResourceTypes[a.resource],
    resourceName: a.name,
    resourcePatternType: ResourcePatternTypes[a.pattern],
    principal: a.principal,
    host: "*",
    operation: AclOperationTypes[a.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

/**
 * Creates the ACLs; one that exists already is left as it is (the broker treats an identical
 * binding as a no-op), so this is safe to run again. Needs a principal allowed to ALTER the
 * cluster (a super user).
 * @throws KafkaError when the broker refuses (CLUSTER_AUTHORIZATION_FAILED without that right).
 */
export async function createAcls(kafka: Kafka, acls: readonly RegionAcl[]): Promise<void> {
  if (acls.length === 0) return;
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.createAcls({ acl: acls.map(aclEntry) });
  } catch (error) {
    throw toKafkaError(error, { operation: "acls" });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
