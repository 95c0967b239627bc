// Broker ACLs of one region's principal (`User:georep-<region>`), as code. With the broker's
// StandardAuthorizer and allow.everyone.if.no.acl.found=false, these are all it may do:
//
//   own topics      georep.<r> (LITERAL), georep.<r>.zone.* (PREFIXED), georep.dlq.<r> (LITERAL):
//                   WRITE (shipper, dead letters), READ (the shipper reads its topic's tail at
//                   start), CREATE/DESCRIBE/DESCRIBE_CONFIGS/ALTER_CONFIGS (ensureTopics creates,
//                   compares and raises max.message.bytes)
//   peers' topics   georep.<peer> and, in a zone, georep.<peer>.zone.<zone>: READ (the merger),
//                   CREATE/DESCRIBE_CONFIGS (the merger checks them, or creates a topic whose
//                   owner has not started yet, with the shared settings); never WRITE;
//                   no other zone's topics (residency)
//   groups          georep-merger-<r> (LITERAL) and georep-tail.georep.<r>. (PREFIXED, the tail
//                   read's throwaway groups): READ, DESCRIBE, DELETE (region remove deletes it)
//   cluster         DESCRIBE (the cluster-size check, listGroups)
//
// Never a PREFIXED `georep.<r>`: region ids may be prefixes of each other (us-east, us-east-2).
// A region id never contains '.', so every prefix used here ends where a region id cannot go on.
// Idempotent producers need no IDEMPOTENT_WRITE on the cluster: WRITE on a topic implies it
// (KIP-679, Kafka 3.0+).
import {
  deadLetterTopic,
  originTopic,
  regionIdSchema,
  zoneIdSchema,
  zoneTopic,
} from "@georep/contract";
import { z } from "zod";
import { KafkaError } from "./errors.ts";
import { TAIL_GROUP_PREFIX } from "./tail.ts";

export type AclResource = "TOPIC" | "GROUP" | "CLUSTER";
export type AclPattern = "LITERAL" | "PREFIXED";
export type AclOperation =
  "READ" | "WRITE" | "CREATE" | "DELETE" | "DESCRIBE" | "DESCRIBE_CONFIGS" | "ALTER_CONFIGS";

/** One ALLOW entry for any host. */
export interface RegionAcl {
  readonly principal: string;
  readonly resource: AclResource;
  readonly name: string;
  readonly pattern: AclPattern;
  readonly operation: AclOperation;
}

const regionAclInputSchema = z.object({
  region: regionIdSchema,
  zone: zoneIdSchema.optional(),
  peers: z.array(z.object({ id: regionIdSchema, zone: zoneIdSchema.optional() })),
});

export type RegionAclInput = z.input<typeof regionAclInputSchema>;

/** The principal a region's replicator authenticates as. */
export const regionPrincipal = (region: string): string => `User:georep-${region}`;

/** The SCRAM user name of a region (the principal without `User:`). */
export const regionUser = (region: string): string => `georep-${region}`;

/** The merger's consumer group (packages/merger mergeGroupId; kept equal by a unit test). */
const mergeGroup = (region: string): string => `georep-merger-${region}`;

const OWN_TOPIC_OPERATIONS: readonly AclOperation[] = [
  "WRITE",
  "READ",
  "CREATE",
  "DESCRIBE",
  "DESCRIBE_CONFIGS",
  "ALTER_CONFIGS",
];
/**
 * A peer's topics: read them, and check (or, when the peer has not started yet, create) them
 * with the shared topic settings, as the merger does at start so that the order regions start in
 * does not matter. Never WRITE: only their owner speaks on them.
 */
const PEER_TOPIC_OPERATIONS: readonly AclOperation[] = ["READ", "CREATE", "DESCRIBE_CONFIGS"];
const GROUP_OPERATIONS: readonly AclOperation[] = ["READ", "DESCRIBE", "DELETE"];

/**
 * Every ACL of `region`'s principal, given its zone and its peers (with theirs). Pure.
 * @throws KafkaError naming the field when a region or zone id is invalid.
 */
export function regionAcls(input: RegionAclInput): RegionAcl[] {
  const parsed = regionAclInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KafkaError(
      `region ACLs: ${issue?.path.join(".") ?? "input"} ${issue?.message ?? "is invalid"}`,
      { cause: parsed.error, retriable: false, context: { operation: "acls" } },
    );
  }
  const { region, zone, peers } = parsed.data;
  const principal = regionPrincipal(region);
  const acl = (
    resource: AclResource,
    name: string,
    pattern: AclPattern,
    operation: AclOperation,
  ): RegionAcl => ({ principal, resource, name, pattern, operation });
  const own: Array<[string, AclPattern]> = [
    [originTopic(region), "LITERAL"],
    [zoneTopic(region, ""), "PREFIXED"],
    [deadLetterTopic(region), "LITERAL"],
  ];
  const peerTopics = peers
    .filter((p) => p.id !== region)
    .flatMap((p) => [originTopic(p.id), ...(zone === undefined ? [] : [zoneTopic(p.id, zone)])]);
  const groups: Array<[string, AclPattern]> = [
    [mergeGroup(region), "LITERAL"],
    [`${TAIL_GROUP_PREFIX}${originTopic(region)}.`, "PREFIXED"],
  ];
  return [
    ...own.flatMap(([name, pattern]) =>
      OWN_TOPIC_OPERATIONS.map((op) => acl("TOPIC", name, pattern, op)),
    ),
    ...[...new Set(peerTopics)].flatMap((name) =>
      PEER_TOPIC_OPERATIONS.map((op) => acl("TOPIC", name, "LITERAL", op)),
    ),
    ...groups.flatMap(([name, pattern]) =>
      GROUP_OPERATIONS.map((op) => acl("GROUP", name, pattern, op)),
    ),
    acl("CLUSTER", "kafka-cluster", "LITERAL", "DESCRIBE"),
  ];
}

/** Whether `acls` let `principal` do `operation` on a resource named `name`. Pure. */
export function aclAllows(
  acls: readonly RegionAcl[],
  resource: AclResource,
  name: string,
  operation: AclOperation,
): boolean {
  return acls.some(
    (a) =>
      a.resource === resource &&
      a.operation === operation &&
      (a.pattern === "LITERAL" ? a.name === name : name.startsWith(a.name)),
  );
}
