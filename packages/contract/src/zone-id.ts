import { z } from "zod";

/**
 * A residency zone id ("eu"): the one definition that the install config, the replicator and
 * capture configs and the message contract check. A zone names Kafka topics
 * (`georep.<origin>.zone.<zone>`) beside region ids, so it follows the region-id rule: '-' and no
 * '_' (Kafka folds '.' and '_' together in metric names, so topics that differ only there
 * collide) and no '.' (the topic name's separator).
 */
export const ZONE_ID_EXPECTED =
  "a zone id like 'eu': 1-31 lower-case letters, digits and '-', starting with a letter";

export const zoneIdPattern = /^[a-z][a-z0-9-]{0,30}$/;

export const zoneIdSchema = z
  .string({ error: `must be ${ZONE_ID_EXPECTED}` })
  .regex(zoneIdPattern, { error: `must be ${ZONE_ID_EXPECTED}` });
