import { isRegionId } from "@georep/crdt";
import { z } from "zod";

/**
 * A region id ("us-east"): the one definition that configs, the message contract and the local
 * stack check. It narrows what the CRDT core accepts as a record key (@georep/crdt isRegionId,
 * which also refuses keys such as "constructor" that shadow Object.prototype) because a region id
 * also ends up in SQL literals, Kafka topic names (`georep.<region>`), replication slot names
 * (`georep_<region>`) and directory names, and because a replica id is `<region>.<n>`: a region
 * id never contains '.'.
 */
const REGION_ID = "[a-z][a-z0-9-]{0,30}";

/** The rule and the fix, as every region-id message states them. */
export const REGION_ID_EXPECTED =
  "a region id like 'us-east': 1-31 lower-case letters, digits and '-', starting with a letter";

export const regionIdPattern = new RegExp(`^${REGION_ID}$`);

/** One incarnation of a region: `region` (incarnation 1) or `region.<n>` (@georep/crdt replicaId). */
export const replicaIdPattern = new RegExp(`^${REGION_ID}(\\.[1-9][0-9]{0,15})?$`);

export const regionIdSchema = z
  .string({ error: `must be ${REGION_ID_EXPECTED}` })
  .regex(regionIdPattern, { error: `must be ${REGION_ID_EXPECTED}` })
  .refine(isRegionId, { error: "is a name JavaScript objects reserve; choose another region id" });

export const replicaIdSchema = z
  .string({ error: "must be a replica id: a region id, or '<region id>.<incarnation>'" })
  .regex(replicaIdPattern, {
    error: "must be a replica id: a region id, or '<region id>.<incarnation>'",
  })
  .refine(isRegionId, { error: "is a name JavaScript objects reserve" });
